import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSecretsManagerOtpKey } from '../adapters/aws/secrets-manager-otp-key.js';
import { oneClient, type Part, requiredSetting } from '../deps.js';

const client = oneClient(() => new SecretsManagerClient({}));

/** The OTP HMAC key (`otpKey`): Secrets Manager (locally the runtime's endpoint for it). */
export const otpKeys: Part = {
  name: 'otpKeys',
  provides: {
    otpKeys: ({ config }) =>
      createSecretsManagerOtpKey({
        client: client(),
        secretId: requiredSetting('OTP_KEY_SECRET_ARN', config.OTP_KEY_SECRET_ARN),
      }),
  },
};
