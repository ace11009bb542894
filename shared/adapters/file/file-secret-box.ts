import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CryptoError } from '../../domain/crypto-error.js';
import type { SecretBox } from '../../ports/secret-box.js';
import {
  canonicalContext,
  createEnvelopeSecretBox,
  DATA_KEY_BYTES,
  gcmOpen,
  gcmSeal,
  IV_BYTES,
  TAG_BYTES,
} from '../envelope-format.js';
import { readOrCreateFile } from './key-file.js';

/** The master key file in the data dir: 32 raw bytes, mode 0600. */
export const SECRET_BOX_KEY_FILE = 'secret-box.key';

const MASTER_KEY_BYTES = 32;

export interface FileSecretBoxProps {
  /** Folder of `secret-box.key`; created (0700) when missing. */
  readonly dir: string;
}

/**
 * The local stand-in for `createKmsSecretBox`: the same sealed format, with the data
 * key wrapped by AES-256-GCM under a master key in `<dir>/secret-box.key` (generated on first
 * use, concurrent first calls create one key). The wrapped key is `iv || ciphertext || tag`;
 * the context is the additional data of both the wrap and the secret.
 *
 * Losing the master key file loses every secret sealed with it (enrolled TOTP factors must
 * be enrolled again); it is read once per box and kept in memory.
 *
 * @example
 * const box = createFileSecretBox({ dir: dataDir });
 */
export const createFileSecretBox = (props: FileSecretBoxProps): SecretBox => {
  const path = join(props.dir, SECRET_BOX_KEY_FILE);
  let masterKey: Promise<Buffer> | undefined;

  const loadMasterKey = async (): Promise<Buffer> => {
    const key = await readOrCreateFile(path, () => randomBytes(MASTER_KEY_BYTES));
    if (key.length !== MASTER_KEY_BYTES) {
      throw new CryptoError('key_file_invalid', `${path}: not a ${MASTER_KEY_BYTES}-byte key`);
    }
    return key;
  };
  const master = (): Promise<Buffer> => {
    masterKey ??= loadMasterKey().catch((error: unknown) => {
      masterKey = undefined;
      throw error;
    });
    return masterKey;
  };

  return createEnvelopeSecretBox({
    generate: async (context) => {
      const key = await master();
      const plaintext = randomBytes(DATA_KEY_BYTES);
      const { iv, ciphertext, tag } = gcmSeal(key, plaintext, canonicalContext(context));
      return { plaintext, wrapped: Buffer.concat([iv, ciphertext, tag]) };
    },
    unwrap: async (wrapped, context) => {
      const key = await master();
      if (wrapped.length !== IV_BYTES + DATA_KEY_BYTES + TAG_BYTES) {
        throw new CryptoError('malformed_sealed', 'Not a sealed secret of this service');
      }
      const parts = {
        iv: wrapped.subarray(0, IV_BYTES),
        ciphertext: wrapped.subarray(IV_BYTES, IV_BYTES + DATA_KEY_BYTES),
        tag: wrapped.subarray(IV_BYTES + DATA_KEY_BYTES),
      };
      return gcmOpen(key, parts, canonicalContext(context));
    },
  });
};
