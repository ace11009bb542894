import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import { simpleWebAuthnRegistrar } from '../../shared/adapters/simplewebauthn-registrar.js';
import { parseConfig, serviceConfigSchema } from '../../shared/config.js';
import type { FactorType, StoredFactor } from '../../shared/domain/entities.js';
import { newFactorId } from '../../shared/domain/factor-id.js';
import { challengeBinding, destinationHash, otpMac } from '../../shared/domain/otp.js';
import { hashStateToken, newStateToken, userRef } from '../../shared/domain/state-token.js';
import { MfaError } from '../../shared/errors.js';
import type { ChallengeInput, StartInput, VerifyInput } from '../../shared/flow.js';
import type { TaskDeps } from '../../shared/flow-task.js';
import { createLogger } from '../../shared/log.js';
import { epochSeconds } from '../../shared/ports/clock.js';
import type { ConsentQuery, ConsentVerdict } from '../../shared/ports/consent.js';
import type { AuditEvent } from '../../shared/ports/events.js';
import type { Random } from '../../shared/ports/random.js';
import type { SecretBox } from '../../shared/ports/secret-box.js';
import type { PublicJwk } from '../../shared/ports/signer.js';
import { issueChallenge } from '../../shared/use-cases/authn-challenge.js';
import { startTransaction } from '../../shared/use-cases/authn-start.js';
import { verifyCode } from '../../shared/use-cases/authn-verify.js';
import { memoryStores } from './memory-user-store.js';
import { createTestIssuer } from './mfa-tokens.js';

/**
 * What a use-case unit test runs on: `TaskDeps` of the in-memory stores (memory-user-store.ts)
 * and small test adapters: a clock the test moves, deterministic randomness, a fixed OTP key,
 * a plain secret box, a messenger and an event bus that record, a logger that collects lines,
 * and a signer whose tokens the step-up check verifies. No AWS client exists: touching one
 * throws.
 */
export const CLIENT = 'app-1';
export const ISSUER = 'https://mfa.test';
/** 2027-01-15T08:00:00Z, on a clock hour (rate windows start here). */
export const T0 = 1_800_000_000;
export const OTP_KEY = new Uint8Array(32).fill(7);
/** The secret of every TOTP factor `seedFactor` stores. */
export const TOTP_SECRET = Buffer.alloc(20, 0x42);

/** A secret box test adapter: "sealed" is the secret in hex, bound to nothing. */
const plainBox: SecretBox = {
  seal: async (secret) => Buffer.from(secret).toString('hex'),
  open: async (sealed) => Uint8Array.from(Buffer.from(sealed, 'hex')),
};

/** Deterministic, yet every call differs (factor ids, state tokens, codes, event ids). */
const countingRandom = (): Random => {
  let n = 0;
  const next = () => {
    n += 1;
    return n;
  };
  return {
    bytes: (length) => Buffer.alloc(length, next() % 256),
    // The high bits of a multiplicative hash: no short cycle over small ranges.
    int: (min, max) =>
      min +
      Math.floor(((Math.imul(next() + 123_456, 2_654_435_761) >>> 0) / 2 ** 32) * (max - min)),
    uuid: () => `00000000-0000-4000-8000-${String(next()).padStart(12, '0')}`,
  };
};

const unused = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, property) => {
      if (typeof property === 'symbol' || property === 'then') return undefined;
      throw new Error(`a use-case unit test touched ${name}.${String(property)}`);
    },
  });

export interface Sent {
  readonly channel: 'sms' | 'email';
  readonly to: string;
  readonly text: string;
}

export const useCaseDeps = (env: Record<string, string> = {}) => {
  const stores = memoryStores();
  let nowMs = T0 * 1000;
  const clock = { now: () => new Date(nowMs) };
  const lines: string[] = [];
  const logger = createLogger({
    service: 'mfa-test',
    level: 'debug',
    write: (line) => lines.push(line),
    now: clock.now,
  });
  const sent: Sent[] = [];
  /** Set `failing` to make every send throw (SNS/SES refusing). */
  const messenger = {
    failing: false,
    sendSms: async (to: string, text: string) => {
      if (messenger.failing) throw new Error('SNS refused');
      sent.push({ channel: 'sms', to, text });
    },
    sendEmail: async (to: string, _subject: string, text: string) => {
      if (messenger.failing) throw new Error('SES refused');
      sent.push({ channel: 'email', to, text });
    },
  };
  const events: AuditEvent[] = [];
  /** The app's consent service: answers `verdict`, records what it was asked. */
  const consents = {
    verdict: 'valid' as ConsentVerdict,
    asked: [] as { url: string; query: ConsentQuery }[],
    check: async (url: string, query: ConsentQuery) => {
      consents.asked.push({ url, query });
      return consents.verdict;
    },
  };
  const issuer = createTestIssuer('test-key');
  const random = countingRandom();
  const deps: TaskDeps = {
    config: parseConfig(serviceConfigSchema, { TABLE_NAME: 't', MFA_ISSUER: ISSUER, ...env }),
    logger,
    clock,
    random,
    ddb: unused<DynamoDBClient>('ddb'),
    clients: unused('clients'),
    workflow: unused('workflow'),
    factors: stores.factors,
    transactions: stores.transactions,
    policyStates: stores.policyStates,
    audits: stores.audits,
    consents,
    passkeys: simpleWebAuthnRegistrar(),
    rates: stores.rates,
    messenger,
    events: { publish: async (event) => void events.push(event) },
    secretBox: plainBox,
    otpKeys: { otpMacKey: async () => OTP_KEY },
    signer: {
      sign: async (claims, typ) => (await issuer).sign({ ...claims }, typ ? { typ } : undefined),
      publicJwks: async () => ({ keys: [(await issuer).publicJwk as unknown as PublicJwk] }),
    },
    log: logger.child({ requestId: 'req-1' }),
    requestId: 'req-1',
  };
  /** The deps of another request (verify's lock owner is the request). */
  const as = (requestId: string): TaskDeps => ({
    ...deps,
    requestId,
    log: logger.child({ requestId }),
  });
  const now = () => epochSeconds(clock.now());

  return {
    deps,
    as,
    stores,
    sent,
    events,
    lines,
    messenger,
    consents,
    now,
    advance: (seconds: number) => {
      nowMs += seconds * 1000;
    },
    /** The newest code sent to `to`. */
    lastCode: (to: string) => {
      const text = sent.filter((message) => message.to === to).at(-1)?.text ?? '';
      return /\d{6,8}/.exec(text)?.[0] ?? 'no code sent';
    },
    /** The audit event types published, in order. */
    eventTypes: () => events.map((event) => event.type),
    /** An MFA token of this service for `userId`, issued now (claims may be overridden). */
    mfaToken: async (userId: string, claims: Record<string, unknown> = {}) =>
      (await issuer).sign({
        iss: ISSUER,
        sub: userId,
        aud: CLIENT,
        iat: now(),
        exp: now() + 900,
        auth_time: now(),
        jti: random.uuid(),
        txn: random.uuid(),
        ...claims,
      }),
    /** Stores a factor for `userId`, ACTIVE unless told (TOTP: `TOTP_SECRET`). */
    seedFactor: async (userId: string, type: FactorType, over: Partial<StoredFactor> = {}) => {
      const destination =
        over.destination ?? (type === 'sms' ? '+447700900123' : `${userId}@example.com`);
      const factor: StoredFactor = {
        factorId: newFactorId(type, random),
        type,
        status: 'ACTIVE',
        createdAt: clock.now().toISOString(),
        failures: 0,
        ...(type === 'totp'
          ? { sealedSecret: await plainBox.seal(TOTP_SECRET, {}) }
          : { destination, destinationHash: destinationHash(OTP_KEY, `${type}:${destination}`) }),
        ...over,
      };
      const user = await stores.factors.getUser(CLIENT, userId);
      const active = Object.values(user?.factors ?? {}).filter((f) => f.status === 'ACTIVE');
      const added = await stores.factors.add(CLIENT, userId, factor, {
        maxFactors: 10,
        activeCount: active.length + (factor.status === 'ACTIVE' ? 1 : 0),
        audit: { events: [] },
      });
      expect(added.ok).toBe(true);
      return factor;
    },
  };
};
export type UseCaseHarness = ReturnType<typeof useCaseDeps>;

/** A transaction step as the API handler hands it to the workflow (hashes only). */
export interface Step {
  readonly requestId: string;
  readonly clientId: string;
  readonly userRef: string;
  readonly stateTokenHash: string;
}

/** Starts a transaction for `userId` as the start handler would; returns the step to use it. */
export const start = async (
  h: UseCaseHarness,
  userId: string,
  extra: Partial<StartInput> = {},
  deps: TaskDeps = h.deps,
): Promise<Step & { outcome: Awaited<ReturnType<typeof startTransaction>> }> => {
  const stateToken = newStateToken(h.deps.random, userId);
  const step = {
    requestId: h.deps.requestId,
    clientId: CLIENT,
    userRef: userRef(userId),
    stateTokenHash: hashStateToken(stateToken),
  };
  const input: StartInput = { ...step, operation: 'start', userId, ...extra };
  return { ...step, outcome: await startTransaction(input, deps) };
};

export const challenge = (h: UseCaseHarness, step: Step, factorId: string) =>
  issueChallenge({ ...step, operation: 'challenge', factorId } satisfies ChallengeInput, h.deps);

let requests = 0;
/** A new request id (each verify is its own request unless told). */
export const nextRequest = () => {
  requests += 1;
  return `req-${requests}`;
};

/** The code in a challenge's message (the workflow sends it). */
export const codeOf = (output: Awaited<ReturnType<typeof issueChallenge>>) =>
  /\d{6,8}/.exec(output.delivery?.text ?? '')?.[0] ?? 'no code';

/** Verify with a code as the verify handler passes it: its HMAC, bound to the transaction. */
export const verify = (
  h: UseCaseHarness,
  step: Step,
  factorId: string,
  code: string,
  requestId = nextRequest(),
) => {
  const binding = challengeBinding(step.stateTokenHash, factorId);
  const input: VerifyInput = {
    ...step,
    requestId,
    operation: 'verify',
    factorId,
    passCodeMac: otpMac(OTP_KEY, 'challenge', binding, code),
  };
  return verifyCode(input, h.as(requestId));
};

/** A code that is surely wrong. */
export const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

/** The refusal a use case threw, with its exact code and HTTP status. */
export const refused = async (work: Promise<unknown>, status: number, code: string) => {
  let error: unknown;
  try {
    await work;
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof MfaError)) throw error ?? new Error(`expected ${status} ${code}`);
  expect({ status: error.status, code: error.code }).toEqual({ status, code });
  return error;
};
