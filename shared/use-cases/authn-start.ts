import { transactionBinding } from '../domain/binding.js';
import type { UserFactors } from '../domain/entities.js';
import { EXEMPT_ACR } from '../domain/mfa-token.js';
import type { PolicyDecision } from '../domain/policy/index.js';
import { receiptBody, receiptDigest } from '../domain/receipt.js';
import { transactionIdOf, userRef } from '../domain/state-token.js';
import { decideStart, keptTransactions, secondsUntilPrunable } from '../domain/transaction.js';
import { MfaError } from '../errors.js';
import { categoriesOf, factorView, kindOf } from '../factors/registry.js';
import type { FlowOutcome, StartInput } from '../flow.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { AuditEvent } from '../ports/events.js';
import {
  auditClaim,
  auditEvent,
  auditedContext,
  auditedTransaction,
  publish,
  recordAudit,
} from './audit.js';
import { paymentClaims } from './authorization-details.js';
import { checkConsent } from './consent-check.js';
import {
  decidePolicy,
  deviceRefOf,
  exemptStateWrite,
  requirementOf,
  scaClaim,
} from './policy-decision.js';

/** Decisions made again on the item a refused write saw, before giving up (429). */
const MAX_ROUNDS = 3;

/**
 * Start: reads the user item (one read), decides under the app's policy on the user's policy
 * state, and writes once: an exempt start its policy state (the RTS counters), a required one
 * the transaction (removing finished transactions and those past their retention). Each write
 * is conditioned on what was read; a refused one decides again on the item it saw (no second
 * read). The start's audit event joins the user's chain in that write; a deny, an exemption
 * without a payment or a user without an active factor writes only the event (a refused
 * consent writes nothing).
 */
export const startTransaction = async (input: StartInput, deps: TaskDeps): Promise<FlowOutcome> => {
  const { factors, clock } = deps;
  const now = clock.now();
  const transactionId = transactionIdOf(input.stateTokenHash);
  let user = await factors.getUser(input.clientId, input.userId);
  let consentChecked = false;
  for (let round = 1; ; round += 1) {
    const policy = decidePolicy(input, user, epochSeconds(now));
    if (policy.decision === 'deny') throw await denied(input, user, transactionId, policy, deps);
    if (!consentChecked) {
      await checkConsent(input, transactionId, deps);
      consentChecked = true;
    }
    const written =
      policy.decision === 'exempt'
        ? await exempt(input, user, transactionId, policy, deps)
        : await requireMfa(input, user, transactionId, policy, deps, now);
    if (written.ok) return written.outcome;
    // Another request changed the user item first: decide again on what it saw.
    if (round >= MAX_ROUNDS || !written.seen) throw busy(deps, transactionId);
    user = written.seen;
  }
};

type Written =
  | { readonly ok: true; readonly outcome: FlowOutcome }
  | { readonly ok: false; readonly seen: UserFactors | undefined };

const startedEvent = (
  input: StartInput,
  transactionId: string,
  status: string,
  policy: PolicyDecision,
) => ({
  clientId: input.clientId,
  userRef: userRef(input.userId),
  transactionId,
  status,
  policy: scaClaim(policy),
  ...(input.context ? { context: auditedContext(input.context) } : {}),
  ...(input.transaction ? { transaction: auditedTransaction(input.transaction) } : {}),
  ...(input.consentId ? { consentId: input.consentId } : {}),
});

/** Where a start records its event: the user's chain, folded on the item as read. */
const recordStarted = (
  input: StartInput,
  user: UserFactors | undefined,
  event: AuditEvent,
  deps: TaskDeps,
) =>
  recordAudit(
    deps,
    // The user id is not stored for an event alone (a deny, a user never enrolled).
    { clientId: input.clientId, userRef: userRef(input.userId) },
    [event],
    { item: user },
  );

/**
 * A deny: the same answer for a known and an unknown user (nothing listed); only its audit
 * event is written.
 */
const denied = async (
  input: StartInput,
  user: UserFactors | undefined,
  transactionId: string,
  policy: PolicyDecision,
  deps: TaskDeps,
): Promise<MfaError> => {
  await recordStarted(
    input,
    user,
    auditEvent(deps, 'mfa.authn.started', startedEvent(input, transactionId, 'DENIED', policy)),
    deps,
  );
  deps.log.info('authn denied by policy', { transactionId, rule: policy.rule });
  return new MfaError('access_denied', "The app's policy does not allow this", {
    transactionId,
    rule: policy.rule ?? 'default',
  });
};

/**
 * An exemption: the payment counts towards the RTS Art. 16 counters (one conditional write of
 * the policy state, none without a payment) and the app gets a token with `acr: "exempt"` and
 * no `auth_time` or `amr`: nobody authenticated.
 */
const exempt = async (
  input: StartInput,
  user: UserFactors | undefined,
  transactionId: string,
  policy: PolicyDecision,
  deps: TaskDeps,
): Promise<Written> => {
  const write = exemptStateWrite(input, user);
  // Nobody authenticated: no factors; the policy's decision is the record.
  const receipt = {
    binding: transactionBinding({ transactionId, ...input }),
    factors: [],
    policy: scaClaim(policy),
  };
  const claims = {
    sub: input.userId,
    aud: input.clientId,
    acr: EXEMPT_ACR,
    txn: transactionId,
    ...(input.consentId ? { consent_id: input.consentId } : {}),
    ...paymentClaims(input.transaction),
    sca: scaClaim(policy),
  };
  const event = auditEvent(deps, 'mfa.authn.started', {
    ...startedEvent(input, transactionId, 'SUCCESS', policy),
    receiptDigest: receiptDigest(receiptBody(claims, receipt)),
  });
  let recorded: readonly AuditEvent[];
  if (write) {
    const saved = await deps.policyStates.save(input, write, {
      audit: { events: [event], read: { item: user } },
    });
    if (!saved.ok) return saved;
    recorded = saved.recorded;
  } else {
    // Recorded only: published with the signing, as with a payment.
    recorded = await deps.audits.record(
      { clientId: input.clientId, userRef: userRef(input.userId) },
      { events: [event], read: { item: user } },
    );
  }
  deps.log.info('authn exempt', { transactionId, exemption: policy.exemption });
  return {
    ok: true,
    outcome: {
      ok: true,
      body: { status: 'SUCCESS', transactionId, exemption: policy.exemption },
      claims,
      receipt: { ...receipt, ...auditClaim(recorded) },
      // Published by the API function while it signs (`signedSuccess`).
      events: recorded,
    },
  };
};

/** MFA required: the transaction is added to the user item (none for a user without factors). */
const requireMfa = async (
  input: StartInput,
  user: UserFactors | undefined,
  transactionId: string,
  policy: PolicyDecision,
  deps: TaskDeps,
  now: Date,
): Promise<Written> => {
  const { transactions, config } = deps;
  const emailIsPossession = input.policy?.emailIsPossession === true;
  const deviceRef = deviceRefOf(input);
  const rememberDays = input.policy?.rememberDevice?.days;
  const decision = decideStart({
    input,
    user,
    transactionId,
    now,
    stateTokenTtlSeconds: config.STATE_TOKEN_TTL_SECONDS,
    retentionSeconds: config.TRANSACTION_RETENTION_SECONDS,
    level: policy.level,
    ...(policy.rule ? { rule: policy.rule } : {}),
    emailIsPossession,
    ...(deviceRef ? { deviceRef } : {}),
    ...(rememberDays === undefined ? {} : { rememberDays }),
    // What a factor may prove in this transaction: a passkey registered without user
    // verification may still verify the user in this approval, so it is offered as such.
    categoriesOf: (factor) => categoriesOf(factor.type, { emailIsPossession }),
    standsAlone: (factor) => kindOf(factor.type).standsAlone !== false,
  });
  const event = auditEvent(
    deps,
    'mfa.authn.started',
    startedEvent(input, transactionId, decision.status, policy),
  );
  if (decision.status === 'MFA_REQUIRED' && user) {
    if (keptTransactions(user, decision.prune) >= config.MAX_TRANSACTIONS_PER_USER) {
      const wait = secondsUntilPrunable(user, epochSeconds(now));
      throw rateLimited(
        deps,
        transactionId,
        `Too many open transactions for this user; try again in ${wait} s`,
        wait,
      );
    }
    const ref = {
      clientId: input.clientId,
      userRef: userRef(input.userId),
      stateTokenHash: input.stateTokenHash,
    };
    if (!user.txns) await transactions.prepare(ref);
    const maxTransactions = config.MAX_TRANSACTIONS_PER_USER;
    const audit = { events: [event], read: { item: user } };
    // Pruning loses when another start removed an entry first: then add without pruning,
    // if there is room.
    let created = await transactions.create(ref, decision.record, {
      prune: decision.prune,
      maxTransactions,
      audit,
    });
    if (!created.ok && decision.prune.length > 0) {
      created = await transactions.create(ref, decision.record, {
        prune: [],
        maxTransactions,
        audit,
      });
    }
    if (!created.ok) return created;
    await publish(deps, created.recorded);
  } else {
    await recordStarted(input, user, event, deps);
  }
  deps.log.info('authn started', { transactionId, status: decision.status });
  return {
    ok: true,
    outcome: {
      ok: true,
      body:
        decision.status === 'MFA_REQUIRED'
          ? {
              status: 'MFA_REQUIRED',
              transactionId,
              expiresAt: decision.record.expiresAt,
              factors: decision.offered.map(factorView),
              ...requirementOf(decision.record),
            }
          : { status: 'MFA_ENROLL', transactionId, factors: [] },
    },
  };
};

const rateLimited = (deps: TaskDeps, transactionId: string, detail: string, wait: number) => {
  deps.log.warn('authn refused', { transactionId, reason: detail });
  return new MfaError('rate_limited', detail, {}, { 'retry-after': String(wait) });
};

const busy = (deps: TaskDeps, transactionId: string) =>
  rateLimited(deps, transactionId, "The user's transactions changed meanwhile; try again", 1);
