import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { createDynamoStore } from './adapters/aws/dynamo-store.js';
import { createSfnWorkflow } from './adapters/aws/sfn-workflow.js';
import { parseConfig, type ServiceConfig, serviceConfigSchema } from './config.js';
import type { Workflow } from './flow.js';
import { createLogger, type Logger } from './log.js';
import { type Clock, systemClock } from './ports/clock.js';
import { cryptoRandom, type Random } from './ports/random.js';
import type { Store } from './ports/store.js';

/**
 * The composition root. Each Lambda builds its dependencies once, at cold start, from its
 * environment; AWS SDK clients honour `AWS_ENDPOINT_URL[_SERVICE]` (LocalStack, local
 * runtime). The local runtime replaces only what has no local AWS endpoint (the workflow).
 */
export interface Deps {
  readonly config: ServiceConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: Random;
  readonly ddb: DynamoDBClient;
  readonly store: Store;
  readonly workflow: Workflow;
}

let current: Deps | undefined;
let overrides: Partial<Deps> = {};

const build = (): Deps => {
  const config = overrides.config ?? parseConfig(serviceConfigSchema, process.env);
  const logger = overrides.logger ?? createLogger({ service: 'mfa', level: config.LOG_LEVEL });
  const ddb = overrides.ddb ?? new DynamoDBClient({});
  // Built on first use: workflow task functions have no state machine to start.
  let sfnWorkflow: Workflow | undefined;
  const workflow: Workflow = overrides.workflow ?? {
    run: (input) => {
      if (!config.STATE_MACHINE_ARN) throw new Error('Invalid configuration: STATE_MACHINE_ARN');
      sfnWorkflow ??= createSfnWorkflow(new SFNClient({}), config.STATE_MACHINE_ARN);
      return sfnWorkflow.run(input);
    },
  };
  return {
    config,
    logger,
    clock: overrides.clock ?? systemClock,
    random: overrides.random ?? cryptoRandom,
    ddb,
    store: overrides.store ?? createDynamoStore(ddb, config.TABLE_NAME),
    workflow,
  };
};

export const deps = (): Deps => {
  current ??= build();
  return current;
};

/** Replaces parts of the dependencies (local runtime, tests); the rest is rebuilt lazily. */
export const overrideDeps = (parts: Partial<Deps>): void => {
  overrides = parts;
  current = undefined;
};
