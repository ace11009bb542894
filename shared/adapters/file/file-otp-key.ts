import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CryptoError } from '../../domain/crypto-error.js';
import type { OtpKeyProvider } from '../../ports/secret-box.js';
import { readOrCreateFile } from './key-file.js';

/** The OTP HMAC key file in the data dir: 32 raw bytes, mode 0600. */
export const OTP_KEY_FILE = 'otp-hmac.key';

const OTP_KEY_BYTES = 32;

export interface FileOtpKeyProps {
  /** Folder of `otp-hmac.key`; created (0700) when missing. */
  readonly dir: string;
}

/**
 * The local OTP HMAC key: 32 random bytes in `<dir>/otp-hmac.key`, created on first use
 * (concurrent first calls create one key), read once and kept in memory. A file of another
 * size is refused (`key_file_invalid`), never replaced.
 *
 * @example
 * const otpKeys = createFileOtpKey({ dir: dataDir });
 */
export const createFileOtpKey = (props: FileOtpKeyProps): OtpKeyProvider => {
  const path = join(props.dir, OTP_KEY_FILE);
  let cached: Promise<Buffer> | undefined;

  const read = async (): Promise<Buffer> => {
    const key = await readOrCreateFile(path, () => randomBytes(OTP_KEY_BYTES));
    if (key.length !== OTP_KEY_BYTES) {
      throw new CryptoError('key_file_invalid', `${path}: not a ${OTP_KEY_BYTES}-byte key`);
    }
    return key;
  };

  return {
    otpMacKey: async () => {
      cached ??= read().catch((error: unknown) => {
        cached = undefined;
        throw error;
      });
      return Uint8Array.from(await cached);
    },
  };
};
