import {
  DecryptCommand,
  type DecryptCommandOutput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
} from '@aws-sdk/client-kms';
import { CryptoError } from '../../domain/crypto-error.js';
import type { SecretBox } from '../../ports/secret-box.js';
import { createEnvelopeSecretBox } from '../envelope-format.js';

/** The part of `KMSClient` the secret box uses; a `KMSClient` fits, and so does a test fake. */
export interface KmsEnvelopeClient {
  send(command: GenerateDataKeyCommand): Promise<GenerateDataKeyCommandOutput>;
  send(command: DecryptCommand): Promise<DecryptCommandOutput>;
}

export interface KmsSecretBoxProps {
  readonly kms: KmsEnvelopeClient;
  /**
   * The symmetric KMS key wrapping the data keys. Prefer the key ARN: `Decrypt` is pinned to
   * this key, so an alias later pointed at another key would stop old secrets opening.
   */
  readonly keyId: string;
}

/** KMS answers for ciphertext that is not its own or does not match the context. */
const NOT_OURS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * Envelope encryption with KMS (`envelope-format.ts`): `GenerateDataKey` (AES_256) per
 * seal, `Decrypt` per open, both with the context as KMS encryption context, so CloudTrail
 * records which factor each key use was for and a context mismatch is refused by KMS too.
 * `Decrypt` names `keyId`, so ciphertext wrapped by another key is refused.
 *
 * A sealed secret KMS refuses as not matching throws `CryptoError` `unseal_failed`; every
 * other KMS failure (throttling, network, access) rejects as it came, for the caller's 503.
 * IAM: `kms:GenerateDataKey` and `kms:Decrypt` on the key.
 *
 * @example
 * const box = createKmsSecretBox({ kms: new KMSClient({}), keyId: config.secretBoxKeyArn });
 * const sealed = await box.seal(seed, { factorId });
 */
export const createKmsSecretBox = (props: KmsSecretBoxProps): SecretBox => {
  const { kms, keyId } = props;
  return createEnvelopeSecretBox({
    generate: async (context) => {
      const out = await kms.send(
        new GenerateDataKeyCommand({
          KeyId: keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { ...context },
        }),
      );
      if (!out.Plaintext || !out.CiphertextBlob) {
        out.Plaintext?.fill(0);
        throw new CryptoError('bad_response', 'KMS GenerateDataKey without key');
      }
      return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
    },
    unwrap: async (wrapped, context) => {
      let out: DecryptCommandOutput;
      try {
        out = await kms.send(
          new DecryptCommand({
            CiphertextBlob: wrapped,
            EncryptionContext: { ...context },
            KeyId: keyId,
          }),
        );
      } catch (error) {
        if (error instanceof Error && NOT_OURS.has(error.name)) {
          throw new CryptoError('unseal_failed', 'KMS refused the wrapped key', { cause: error });
        }
        throw error;
      }
      if (!out.Plaintext) throw new CryptoError('bad_response', 'KMS Decrypt without Plaintext');
      return out.Plaintext;
    },
  });
};
