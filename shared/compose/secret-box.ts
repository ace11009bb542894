import { createKmsSecretBox } from '../adapters/aws/kms-secret-box.js';
import { createFileSecretBox } from '../adapters/file/file-secret-box.js';
import { type Part, type PartContext, requiredSetting } from '../deps.js';
import type { SecretBox } from '../ports/secret-box.js';
import { kmsClient } from './kms.js';

/** Envelope encryption under `SECRET_BOX_KEY_ID` (TOTP secrets; the envelope signing key). */
export const kmsSecretBox = (context: PartContext): SecretBox =>
  createKmsSecretBox({
    kms: kmsClient(),
    keyId: requiredSetting('SECRET_BOX_KEY_ID', context.config.SECRET_BOX_KEY_ID),
  });

/** Seals and opens TOTP secrets (`totp:seal`, `totp:open`): KMS, or a key file locally. */
export const secretBox: Part = {
  name: 'secretBox',
  provides: {
    secretBox: (context) => {
      const dir = context.config.LOCAL_KEY_DIR;
      return dir ? createFileSecretBox({ dir }) : kmsSecretBox(context);
    },
  },
};
