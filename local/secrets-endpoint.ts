import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AwsError, startJsonEndpoint } from './json-endpoint.js';
import { LOCAL_ACCOUNT } from './kms-endpoint.js';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A local endpoint speaking the Secrets Manager JSON protocol for `GetSecretValue` of the
 * OTP HMAC secret, so the production adapter (`secrets-manager-otp-key`) runs locally over
 * the real `@aws-sdk/client-secrets-manager`. The secret is a plain 48-character string, as
 * the stack has Secrets Manager generate it (no punctuation), made on first start and kept in
 * `<dir>/otp-secret.txt` (mode 0600). Other secrets and calls are refused.
 */
export const startSecretsEndpoint = async (dir: string, region: string) => {
  const file = path.join(dir, 'otp-secret.txt');
  let secret: string;
  try {
    secret = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    secret = [...randomBytes(48)].map((b) => ALPHANUMERIC[b % 62]).join('');
    await writeFile(file, secret, { mode: 0o600 });
  }
  const name = 'mfa-otp-hmac';
  const arn = `arn:aws:secretsmanager:${region}:${LOCAL_ACCOUNT}:secret:${name}-local`;
  const served = await startJsonEndpoint('secretsmanager', {
    GetSecretValue: (input) => {
      if (input.SecretId !== arn && input.SecretId !== name)
        throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the secret");
      return {
        ARN: arn,
        Name: name,
        SecretString: secret,
        VersionId: 'local',
        VersionStages: ['AWSCURRENT'],
      };
    },
  });
  return { ...served, secretArn: arn };
};
