import { createKmsSecretBox } from '../adapters/aws/kms-secret-box.js';
import { type Part, type PartContext, requiredSetting } from '../deps.js';
import type { SecretBox } from '../ports/secret-box.js';
import { kmsClient } from './kms.js';

/**
 * Envelope encryption under `SECRET_BOX_KEY_ID` (TOTP secrets, passkey credentials; the
 * envelope signing key). KMS on AWS; locally the runtime's KMS endpoint, over the same SDK.
 */
export const kmsSecretBox = (context: PartContext): SecretBox =>
  createKmsSecretBox({
    kms: kmsClient(),
    keyId: requiredSetting('SECRET_BOX_KEY_ID', context.config.SECRET_BOX_KEY_ID),
  });

/** Seals and opens secrets (`totp:seal`, `totp:open`). */
export const secretBox: Part = {
  name: 'secretBox',
  provides: { secretBox: kmsSecretBox },
};
