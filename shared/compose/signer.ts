import {
  createEnvelopeSigner,
  dynamoSigningKeyStore,
  envelopeRetainSeconds,
} from '../adapters/aws/envelope-signer.js';
import { createKmsSigner } from '../adapters/aws/kms-signer.js';
import { createFileSigner } from '../adapters/file/file-signer.js';
import { type Part, requiredSetting } from '../deps.js';
import { serviceTable } from './dynamo.js';
import { kmsClient } from './kms.js';
import { kmsSecretBox } from './secret-box.js';

/**
 * Signs MFA tokens and publishes their keys (`token:sign`, `token:publicKeys`):
 * `SIGNING_MODE=kms` (a KMS key), `envelope` (a key sealed under the secret box, kept in the
 * table), or a key file locally (`LOCAL_KEY_DIR`).
 */
export const signer: Part = {
  name: 'signer',
  provides: {
    signer: (context) => {
      const { config, clock } = context;
      const now = () => clock.now();
      if (config.LOCAL_KEY_DIR) {
        const retainSeconds = config.TOKEN_TTL_SECONDS + 60;
        return createFileSigner({ dir: config.LOCAL_KEY_DIR, now, retainSeconds });
      }
      if (config.SIGNING_MODE === 'envelope') {
        return createEnvelopeSigner({
          store: dynamoSigningKeyStore(serviceTable(context)),
          secretBox: kmsSecretBox(context),
          now,
          retainSeconds: envelopeRetainSeconds(config.TOKEN_TTL_SECONDS),
        });
      }
      return createKmsSigner({
        kms: kmsClient(),
        keyIds: requiredSetting('SIGNING_KEY_IDS', config.SIGNING_KEY_IDS)
          .split(',')
          .map((id) => id.trim()),
      });
    },
  },
};
