import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { dynamoClientStore } from './adapters/aws/dynamo-clients.js';
import { dynamoFactorStore } from './adapters/aws/dynamo-factors.js';
import { dynamoRateLimiter } from './adapters/aws/dynamo-rates.js';
import { tableOps } from './adapters/aws/dynamo-table.js';
import { dynamoTransactionStore } from './adapters/aws/dynamo-transactions.js';
import {
  createEnvelopeSigner,
  dynamoSigningKeyStore,
  envelopeRetainSeconds,
} from './adapters/aws/envelope-signer.js';
import { createEventBridgePublisher } from './adapters/aws/eventbridge-publisher.js';
import { createKmsSecretBox } from './adapters/aws/kms-secret-box.js';
import { createKmsSigner } from './adapters/aws/kms-signer.js';
import { createSecretsManagerOtpKey } from './adapters/aws/secrets-manager-otp-key.js';
import { createSfnWorkflow } from './adapters/aws/sfn-workflow.js';
import { createSnsSesMessenger } from './adapters/aws/sns-ses-messenger.js';
import { createFileOtpKey } from './adapters/file/file-otp-key.js';
import { createFileSecretBox } from './adapters/file/file-secret-box.js';
import { createFileSigner } from './adapters/file/file-signer.js';
import { parseConfig, type ServiceConfig, serviceConfigSchema } from './config.js';
import type { Workflow } from './flow.js';
import { createLogger, type Logger } from './log.js';
import { type Clock, systemClock } from './ports/clock.js';
import type { EventPublisher } from './ports/events.js';
import type { Messenger } from './ports/messenger.js';
import { cryptoRandom, type Random } from './ports/random.js';
import type { OtpKeyProvider, SecretBox } from './ports/secret-box.js';
import type { TokenSigner } from './ports/signer.js';
import type { ClientStore, FactorStore, RateLimiter, TransactionStore } from './ports/store.js';

/**
 * The composition root. Each Lambda builds its dependencies once, at cold start, from its
 * environment; AWS SDK clients honour `AWS_ENDPOINT_URL[_SERVICE]` (LocalStack, the local
 * runtime). Keys come from KMS and Secrets Manager, or from files when `LOCAL_KEY_DIR` is set
 * (local runtime); `SIGNING_MODE` picks the token signer on AWS (a KMS signing key, or an
 * envelope-encrypted key kept in the table). Clients that a function does not use are never
 * built.
 */
export interface Deps {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly ddb: DynamoDBClient;
  readonly clients: ClientStore;
  readonly factors: FactorStore;
  readonly transactions: TransactionStore;
  readonly rates: RateLimiter;
  readonly workflow: Workflow;
  readonly messenger: Messenger;
  readonly events: EventPublisher;
  readonly secretBox: SecretBox;
  readonly otpKeys: OtpKeyProvider;
  readonly signer: TokenSigner;
}

let current: Deps | undefined;
let overrides: Partial<Deps> = {};
let cachedConfig: ServiceConfig | undefined;

/**
 * The service configuration, read from the environment once, validated and frozen
 * (`overrideDeps({ config })` wins). The handler factories call it when a function module is
 * loaded, so a bad setting fails the Lambda init with its name, range and problem
 * (`ConfigError`) instead of answering every request with a 500.
 */
export const serviceConfig = (): ServiceConfig => {
  cachedConfig ??= overrides.config ?? parseConfig(serviceConfigSchema, process.env);
  return cachedConfig;
};

/** Builds `make()` on first use only (a function that never signs never creates a KMS client). */
const lazy = <T extends object>(make: () => T): T => {
  let built: T | undefined;
  return new Proxy({} as T, {
    get: (_target, property) => {
      built ??= make();
      const value = Reflect.get(built, property);
      return typeof value === 'function' ? value.bind(built) : value;
    },
  });
};

const required = (name: string, value: string | undefined): string => {
  if (!value) throw new Error(`Invalid configuration: ${name}`);
  return value;
};

const build = (): Deps => {
  const config = serviceConfig();
  const clock = overrides.clock ?? systemClock;
  const ddb = overrides.ddb ?? new DynamoDBClient({});
  const table = tableOps(ddb, config.TABLE_NAME);
  const keyDir = config.LOCAL_KEY_DIR;
  const kms = lazy(() => new KMSClient({}));
  const retainSeconds = config.TOKEN_TTL_SECONDS + 60;
  return {
    config,
    clock,
    ddb,
    logger: overrides.logger ?? createLogger({ service: 'mfa', level: config.LOG_LEVEL }),
    random: overrides.random ?? cryptoRandom,
    clients: overrides.clients ?? dynamoClientStore(table),
    factors: overrides.factors ?? dynamoFactorStore(table),
    transactions: overrides.transactions ?? dynamoTransactionStore(table),
    rates: overrides.rates ?? dynamoRateLimiter(table),
    workflow:
      overrides.workflow ??
      lazy(() =>
        createSfnWorkflow(
          new SFNClient({}),
          required('STATE_MACHINE_ARN', config.STATE_MACHINE_ARN),
        ),
      ),
    messenger:
      overrides.messenger ??
      lazy(() =>
        createSnsSesMessenger({
          sns: new SNSClient({}),
          ses: new SESClient({}),
          emailSender: config.EMAIL_SENDER,
          smsSenderId: config.SMS_SENDER_ID,
        }),
      ),
    events:
      overrides.events ??
      lazy(() =>
        createEventBridgePublisher(
          new EventBridgeClient({}),
          required('EVENT_BUS_NAME', config.EVENT_BUS_NAME),
        ),
      ),
    secretBox:
      overrides.secretBox ??
      lazy(() =>
        keyDir
          ? createFileSecretBox({ dir: keyDir })
          : createKmsSecretBox({
              kms,
              keyId: required('SECRET_BOX_KEY_ID', config.SECRET_BOX_KEY_ID),
            }),
      ),
    otpKeys:
      overrides.otpKeys ??
      lazy(() =>
        keyDir
          ? createFileOtpKey({ dir: keyDir })
          : createSecretsManagerOtpKey({
              client: new SecretsManagerClient({}),
              secretId: required('OTP_KEY_SECRET_ARN', config.OTP_KEY_SECRET_ARN),
            }),
      ),
    signer:
      overrides.signer ??
      lazy(() => {
        if (keyDir) return createFileSigner({ dir: keyDir, now: () => clock.now(), retainSeconds });
        if (config.SIGNING_MODE === 'envelope') {
          return createEnvelopeSigner({
            store: dynamoSigningKeyStore(table),
            secretBox: createKmsSecretBox({
              kms,
              keyId: required('SECRET_BOX_KEY_ID', config.SECRET_BOX_KEY_ID),
            }),
            now: () => clock.now(),
            retainSeconds: envelopeRetainSeconds(config.TOKEN_TTL_SECONDS),
          });
        }
        return createKmsSigner({
          kms,
          keyIds: required('SIGNING_KEY_IDS', config.SIGNING_KEY_IDS)
            .split(',')
            .map((id) => id.trim()),
        });
      }),
  };
};

export const deps = (): Deps => {
  current ??= build();
  return current;
};

/**
 * Replaces parts of the dependencies (local runtime, tests); the rest, config included, is
 * rebuilt lazily from the environment of that moment.
 */
export const overrideDeps = (parts: Partial<Deps>): void => {
  overrides = parts;
  current = undefined;
  cachedConfig = undefined;
};
