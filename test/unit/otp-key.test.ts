import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import {
  createSecretsManagerOtpKey,
  type SecretsManagerReadClient,
} from '../../shared/adapters/aws/secrets-manager-otp-key.js';
import { CryptoError, type CryptoErrorCode } from '../../shared/domain/crypto-error.js';

const SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:otp-key';
const GENERATED = 'hT4wZq9Lr2XbN7mKc5VdYs8PjA3eGf6Ru1tWo0Ei'; // 40 chars, no punctuation

const refused = async (promise: Promise<unknown>, code: CryptoErrorCode) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CryptoError);
  expect((error as CryptoError).code).toBe(code);
};

/** A Secrets Manager fake answering each GetSecretValue with the next of `answers`. */
const fakeSecrets = (...answers: Array<string | undefined | Error>) => {
  const calls: GetSecretValueCommand[] = [];
  const client = {
    send: async (command: GetSecretValueCommand) => {
      calls.push(command);
      const answer = answers[Math.min(calls.length, answers.length) - 1];
      if (answer instanceof Error) throw answer;
      return { $metadata: {}, SecretString: answer };
    },
  } as SecretsManagerReadClient;
  return { client, calls };
};

describe('Secrets Manager OTP key', () => {
  it('uses the UTF-8 bytes of the secret string, read once', async () => {
    const fake = fakeSecrets(GENERATED);
    const keys = createSecretsManagerOtpKey({ client: fake.client, secretId: SECRET_ID });
    const [a, b] = await Promise.all([keys.otpMacKey(), keys.otpMacKey()]);
    const c = await keys.otpMacKey();
    expect(Buffer.from(a)).toEqual(Buffer.from(GENERATED, 'utf8'));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toBeInstanceOf(GetSecretValueCommand);
    expect(fake.calls[0]?.input).toEqual({ SecretId: SECRET_ID });
  });

  it('hands out copies, so one caller cannot change the key of the next', async () => {
    const keys = createSecretsManagerOtpKey({
      client: fakeSecrets(GENERATED).client,
      secretId: SECRET_ID,
    });
    (await keys.otpMacKey()).fill(0);
    expect(Buffer.from(await keys.otpMacKey()).toString('utf8')).toBe(GENERATED);
  });

  it('refuses a secret shorter than 32 characters, and a missing string', async () => {
    const short = createSecretsManagerOtpKey({
      client: fakeSecrets('x'.repeat(31)).client,
      secretId: SECRET_ID,
    });
    await refused(short.otpMacKey(), 'key_refused');
    const exact = createSecretsManagerOtpKey({
      client: fakeSecrets('x'.repeat(32)).client,
      secretId: SECRET_ID,
    });
    expect((await exact.otpMacKey()).length).toBe(32);
    const binary = createSecretsManagerOtpKey({
      client: fakeSecrets(undefined).client,
      secretId: SECRET_ID,
    });
    await refused(binary.otpMacKey(), 'bad_response');
  });

  it('lets a failure through and reads again on the next call', async () => {
    const fake = fakeSecrets(
      Object.assign(new Error('no'), { name: 'InternalServiceError' }),
      GENERATED,
    );
    const keys = createSecretsManagerOtpKey({ client: fake.client, secretId: SECRET_ID });
    await expect(keys.otpMacKey()).rejects.toHaveProperty('name', 'InternalServiceError');
    expect(Buffer.from(await keys.otpMacKey()).toString('utf8')).toBe(GENERATED);
    expect(fake.calls).toHaveLength(2);
  });
});
