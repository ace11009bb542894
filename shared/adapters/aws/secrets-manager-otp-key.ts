import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { CryptoError } from '../../domain/crypto-error.js';
import type { OtpKeyProvider } from '../../ports/secret-box.js';

/** The part of `SecretsManagerClient` used here; the real client fits, and so does a fake. */
export interface SecretsManagerReadClient {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

export interface SecretsManagerOtpKeyProps {
  readonly client: SecretsManagerReadClient;
  /** Name or ARN of the secret. */
  readonly secretId: string;
}

/** 32 characters of a generated password (62 symbols) carry about 190 bits. */
export const MIN_OTP_SECRET_CHARS = 32;

/**
 * The OTP HMAC key from Secrets Manager. The secret is a plain `SecretString` (no JSON
 * template), such as one Secrets Manager generates with `excludePunctuation`; its UTF-8
 * bytes are the key, used as they are (HMAC accepts keys of any length). A secret shorter
 * than 32 characters is refused (`key_refused`); there is no fallback key.
 *
 * The secret is read once and kept for the life of the process (concurrent first calls
 * share one request; a failed read is retried by the next call). Rotating it makes codes
 * already sent fail in containers that have read the new value: rotate between flows, or
 * accept that codes in flight (at most their 300 s life) must be sent again.
 *
 * @example
 * const otpKeys = createSecretsManagerOtpKey({ client: new SecretsManagerClient({}), secretId });
 */
export const createSecretsManagerOtpKey = (props: SecretsManagerOtpKeyProps): OtpKeyProvider => {
  let cached: Promise<Uint8Array> | undefined;

  const read = async (): Promise<Uint8Array> => {
    const out = await props.client.send(new GetSecretValueCommand({ SecretId: props.secretId }));
    const secret = out.SecretString;
    if (secret === undefined) {
      throw new CryptoError('bad_response', `Secret ${props.secretId} has no SecretString`);
    }
    if (secret.length < MIN_OTP_SECRET_CHARS) {
      throw new CryptoError(
        'key_refused',
        `Secret ${props.secretId} is shorter than ${MIN_OTP_SECRET_CHARS} characters`,
      );
    }
    return new Uint8Array(Buffer.from(secret, 'utf8'));
  };

  return {
    otpMacKey: async () => {
      cached ??= read().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      // A copy: a caller that zeroes or changes its key must not change the next caller's.
      return Uint8Array.from(await cached);
    },
  };
};
