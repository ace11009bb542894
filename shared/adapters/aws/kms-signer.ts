import { createHash, createPublicKey } from 'node:crypto';
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms';
import { CryptoError } from '../../domain/crypto-error.js';
import { derToJose } from '../../domain/ecdsa-signature.js';
import type { PublicJwk, TokenSigner } from '../../ports/signer.js';
import { compactJws, encodeSigningInput, publicJwkOf } from '../es256-jws.js';

/** The part of `KMSClient` the signer uses; a `KMSClient` fits, and so does a test fake. */
export interface KmsSigningClient {
  send(command: SignCommand): Promise<SignCommandOutput>;
  send(command: GetPublicKeyCommand): Promise<GetPublicKeyCommandOutput>;
}

export interface KmsSignerProps {
  readonly kms: KmsSigningClient;
  /**
   * Asymmetric KMS keys (key id, key ARN or alias), ECC_NIST_P256 and SIGN_VERIFY. The first
   * signs; the others are only published in the JWKS, so tokens of a key being rotated out
   * keep verifying until they expire.
   */
  readonly keyIds: readonly string[];
}

interface KmsKey {
  /** The key ARN KMS answered with: signing names it, never an alias that could move. */
  readonly arn: string;
  readonly jwk: PublicJwk;
}

const fetchKey = async (kms: KmsSigningClient, keyId: string): Promise<KmsKey> => {
  const out = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
  // Another key spec would make KMS sign something that is not ES256; refuse at once
  // rather than hand out tokens no verifier accepts.
  if (out.KeySpec !== 'ECC_NIST_P256' || out.KeyUsage !== 'SIGN_VERIFY') {
    throw new CryptoError(
      'key_refused',
      `KMS key ${keyId} is ${out.KeySpec}/${out.KeyUsage}, need ECC_NIST_P256/SIGN_VERIFY`,
    );
  }
  if (!out.PublicKey) throw new CryptoError('bad_response', 'KMS GetPublicKey without PublicKey');
  const key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
  return { arn: out.KeyId ?? keyId, jwk: await publicJwkOf(key) };
};

/**
 * ES256 token signer backed by asymmetric KMS keys: the private key never leaves KMS. Only
 * the SHA-256 digest of the signing input is sent (`MessageType: 'DIGEST'`), so a token of
 * any size costs one small `Sign` call; KMS's DER signature is turned into JOSE `r || s`.
 *
 * The `kid` is the RFC 7638 thumbprint of the public key. Public keys are fetched once per
 * key (they never change for a KMS key) and kept for the life of the process; concurrent
 * first calls share the one request, and a failed fetch is retried by the next call.
 *
 * Every KMS failure rejects (the caller answers 503): there is no fallback key and never an
 * unsigned token. IAM: `kms:Sign` on the first key, `kms:GetPublicKey` on all of them.
 *
 * @example
 * const signer = createKmsSigner({ kms: new KMSClient({}), keyIds: [config.signingKeyArn] });
 * const token = await signer.sign(claims);
 */
export const createKmsSigner = (props: KmsSignerProps): TokenSigner => {
  const { kms, keyIds } = props;
  const activeKeyId = keyIds[0];
  if (activeKeyId === undefined) throw new Error('createKmsSigner needs at least one key id');
  const keys = new Map<string, Promise<KmsKey>>();

  const load = (keyId: string): Promise<KmsKey> => {
    const known = keys.get(keyId);
    if (known) return known;
    const loading = fetchKey(kms, keyId);
    keys.set(keyId, loading);
    // Forget a failure so a KMS hiccup at cold start does not stick to a warm container.
    loading.catch(() => {
      if (keys.get(keyId) === loading) keys.delete(keyId);
    });
    return loading;
  };

  return {
    sign: async (claims, typ) => {
      const active = await load(activeKeyId);
      const signingInput = encodeSigningInput(active.jwk.kid, claims, typ);
      const digest = createHash('sha256').update(signingInput).digest();
      const out = await kms.send(
        new SignCommand({
          KeyId: active.arn,
          Message: digest,
          MessageType: 'DIGEST',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!out.Signature) throw new CryptoError('bad_response', 'KMS Sign without Signature');
      return compactJws(signingInput, derToJose(out.Signature, 32));
    },

    publicJwks: async () => {
      const loaded = await Promise.all(keyIds.map(load));
      // The same key listed twice (id and alias) is published once.
      const byKid = new Map(loaded.map(({ jwk }) => [jwk.kid, jwk]));
      return { keys: [...byKid.values()] };
    },
  };
};
