import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsEndpoint } from '../../local/kms-endpoint.js';
import { startSecretsEndpoint } from '../../local/secrets-endpoint.js';
import { createKmsSecretBox } from '../../shared/adapters/aws/kms-secret-box.js';
import { createKmsSigner } from '../../shared/adapters/aws/kms-signer.js';
import { createSecretsManagerOtpKey } from '../../shared/adapters/aws/secrets-manager-otp-key.js';
import { CryptoError } from '../../shared/domain/crypto-error.js';

/**
 * The local runtime's KMS and Secrets Manager endpoints, reached by the production adapters
 * over the real SDK clients: what KMS would refuse, they refuse; what they answer, the
 * adapters accept.
 */
const REGION = 'eu-west-1';
const clientOptions = (endpoint: string) => ({
  region: REGION,
  endpoint,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
let dir: string;
let kms: Awaited<ReturnType<typeof startKmsEndpoint>>;
let secrets: Awaited<ReturnType<typeof startSecretsEndpoint>>;
let client: KMSClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'local-kms-'));
  kms = await startKmsEndpoint(dir, REGION);
  secrets = await startSecretsEndpoint(dir, REGION);
  client = new KMSClient(clientOptions(kms.url));
});
afterAll(async () => {
  client?.destroy();
  kms?.server.close();
  secrets?.server.close();
  await rm(dir, { recursive: true, force: true });
});

const unsealFails = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe('unseal_failed');
};

describe('the local KMS endpoint', () => {
  it('GenerateDataKey and Decrypt with the encryption context bound: another context or key is refused', async () => {
    const box = createKmsSecretBox({ kms: client, keyId: kms.dataKeyArn });
    const sealed = await box.seal(Buffer.from('seed'), { factorId: 'f-1' });
    expect(Buffer.from(await box.open(sealed, { factorId: 'f-1' })).toString()).toBe('seed');
    await unsealFails(box.open(sealed, { factorId: 'f-2' }));
    // Decrypt pinned to another key (KMS: IncorrectKeyException).
    const other = createKmsSecretBox({ kms: client, keyId: kms.signingKeyArns[0] as string });
    await unsealFails(other.open(sealed, { factorId: 'f-1' }));
  });

  it('Sign (DIGEST, DER) and GetPublicKey: an ES256 token the served public key verifies', async () => {
    const signer = createKmsSigner({ kms: client, keyIds: kms.signingKeyArns });
    const claims = { iss: 'local', sub: 'u', aud: 'app', iat: 1, txn: 't-1' };
    const token = await signer.sign(claims as Parameters<typeof signer.sign>[0]);
    const { payload, protectedHeader } = await jwtVerify(
      token,
      createLocalJWKSet({ keys: [...(await signer.publicJwks()).keys] } as JSONWebKeySet),
      { algorithms: ['ES256'] },
    );
    expect(payload).toMatchObject({ sub: 'u', aud: 'app' });
    expect(protectedHeader.alg).toBe('ES256');
  });

  it('refuses what it does not serve, as KMS does', async () => {
    const { SignCommand, EncryptCommand } = await import('@aws-sdk/client-kms');
    await expect(
      client.send(
        new SignCommand({
          KeyId: 'no-such-key',
          Message: new Uint8Array(32),
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      ),
    ).rejects.toHaveProperty('name', 'NotFoundException');
    await expect(
      client.send(new EncryptCommand({ KeyId: kms.dataKeyArn, Plaintext: new Uint8Array(1) })),
    ).rejects.toHaveProperty('name', 'UnknownOperationException');
  });

  it('keeps its keys (0600) across restarts: what it sealed still opens', async () => {
    const box = createKmsSecretBox({ kms: client, keyId: kms.dataKeyArn });
    const sealed = await box.seal(Buffer.from('kept'), { factorId: 'f-9' });
    const again = await startKmsEndpoint(dir, REGION);
    const againClient = new KMSClient(clientOptions(again.url));
    const reopened = createKmsSecretBox({ kms: againClient, keyId: again.dataKeyArn });
    expect(Buffer.from(await reopened.open(sealed, { factorId: 'f-9' })).toString()).toBe('kept');
    expect((await stat(path.join(dir, 'kms-keys.json'))).mode & 0o777).toBe(0o600);
    againClient.destroy();
    again.server.close();
  });
});

describe('the local Secrets Manager endpoint', () => {
  it('GetSecretValue of the OTP secret: a 48-character string the production adapter takes', async () => {
    const sm = new SecretsManagerClient(clientOptions(secrets.url));
    const keys = createSecretsManagerOtpKey({ client: sm, secretId: secrets.secretArn });
    const key = Buffer.from(await keys.otpMacKey()).toString('utf8');
    expect(key).toMatch(/^[A-Za-z0-9]{48}$/);
    const other = createSecretsManagerOtpKey({ client: sm, secretId: 'another-secret' });
    await expect(other.otpMacKey()).rejects.toHaveProperty('name', 'ResourceNotFoundException');
    sm.destroy();
  });
});
