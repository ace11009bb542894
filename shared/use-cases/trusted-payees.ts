import { SCA_ACR } from '../domain/mfa-token.js';
import { EMPTY_POLICY_STATE, type PolicyState } from '../domain/policy/index.js';
import { userRef } from '../domain/state-token.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import type { AuditEvent } from '../ports/events.js';
import { auditEvent, maskedAccount, publish } from './audit.js';
import { expiredStepUps, spentUntil, userForChange } from './factor-step-up.js';
import { stepUpRequired, verifyUserToken } from './user-token.js';

/** API.md "Trusted beneficiaries": an `sca` token no older than this adds or removes one. */
export const TRUSTED_PAYEE_SCA_MAX_AGE_SECONDS = 300;
/** Trusted payees one user may have (the user item stays small). */
export const MAX_TRUSTED_PAYEES = 100;
/** Writes made again on the item a refused one saw, before giving up. */
const MAX_ROUNDS = 3;
/** What a token spent on a trusted-payee change is recorded for (never a factor id). */
const PAYEE_CHANGE = 'trusted-payees';

interface UserArgs {
  readonly clientId: string;
  readonly userId: string;
}

export const listTrustedPayees = async (deps: TaskDeps, args: UserArgs) => {
  const user = await deps.factors.getUser(args.clientId, args.userId);
  const payees = Object.entries(user?.policyState?.trustedPayees ?? {})
    .map(([payeeAccount, entry]) => ({ payeeAccount, payee: entry.payee, addedAt: entry.addedAt }))
    .sort(
      (a, b) => a.addedAt.localeCompare(b.addedAt) || a.payeeAccount.localeCompare(b.payeeAccount),
    );
  return { payees };
};

const insufficient = (detail: string, reason?: 'acr') =>
  stepUpRequired(detail, { maxAge: TRUSTED_PAYEE_SCA_MAX_AGE_SECONDS, acr: SCA_ACR }, reason);

/**
 * RTS Art. 13: the list of trusted beneficiaries changes only with the user's SCA. The token
 * (`X-MFA-Token`) is this service's, for this app and user, `acr: "sca"`, authenticated at
 * most 300 s ago, and approved no payment and no consent (what the user approved with it was
 * that payment, not trusting its payee). Anything else: 401 `insufficient_user_authentication`.
 */
const requireRecentSca = async (
  deps: TaskDeps,
  args: UserArgs & { mfaToken?: string },
): Promise<ScaStepUp> => {
  if (!args.mfaToken) {
    throw insufficient(
      `Send the user's MFA token (header X-MFA-Token) with acr "sca" from the last ${TRUSTED_PAYEE_SCA_MAX_AGE_SECONDS} s`,
    );
  }
  const verified = await verifyUserToken(deps, { ...args, mfaToken: args.mfaToken });
  if (!verified.ok) throw insufficient('The MFA token is not valid for this app and user');
  const { claims } = verified;
  if (claims.acr !== SCA_ACR || claims.auth_time === undefined) {
    throw insufficient('Trusting a payee needs strong customer authentication (acr "sca")', 'acr');
  }
  if (claims.authorization_details !== undefined || claims.consent_id !== undefined) {
    throw insufficient(
      'This MFA token approved a payment or a consent: authenticate without a transaction to change trusted payees',
    );
  }
  const now = epochSeconds(deps.clock.now());
  if (now - claims.auth_time > TRUSTED_PAYEE_SCA_MAX_AGE_SECONDS) {
    throw insufficient(
      `The MFA token is older than ${TRUSTED_PAYEE_SCA_MAX_AGE_SECONDS} s: authenticate again`,
    );
  }
  // Spent by the change's own write: good for one change (of payees or factors) only.
  const until = spentUntil(claims.exp);
  return { transactionId: claims.txn, jti: claims.jti, until, now };
};

interface ScaStepUp {
  readonly transactionId: string;
  readonly jti: string;
  /** epoch seconds after which the token can no longer pass: its spent entry may go */
  readonly until: number;
  readonly now: number;
}

const spentToken = () =>
  insufficient('This MFA token was already used for a change: authenticate again');

/**
 * Changes the user's trusted payees: `change` gives the new state from the one read (or throws
 * a refusal); the write holds only on that state's revision and spends the token (its `jti`
 * in `stepUps`), else it runs again on the item the refused write saw.
 */
const changePayees = async (
  deps: TaskDeps,
  args: UserArgs,
  stepUp: ScaStepUp,
  change: (state: PolicyState) => PolicyState,
  event: AuditEvent,
) => {
  // A token of this user comes from a transaction in their item: it exists.
  let user = await userForChange(deps, args.clientId, args.userId);
  for (let round = 1; ; round += 1) {
    if (!user) throw insufficient('No such user');
    if (user.stepUps?.[stepUp.jti]) throw spentToken();
    const state = change(user.policyState ?? EMPTY_POLICY_STATE);
    const prune = expiredStepUps(user, stepUp.now);
    const saved = await deps.policyStates.save(
      args,
      { state, seenRev: user.policyRev },
      {
        spend: { jti: stepUp.jti, use: { factorId: PAYEE_CHANGE, until: stepUp.until }, prune },
        audit: { events: [event], read: { item: user } },
      },
    );
    if (saved.ok) {
      await publish(deps, saved.recorded);
      return;
    }
    if (round >= MAX_ROUNDS) {
      throw new MfaError('invalid_state', "The user's trusted payees changed meanwhile; try again");
    }
    user = saved.seen;
  }
};

/** Adds (or renames) a trusted payee: `addedAt` is now. 201 with the entry. */
export const addTrustedPayee = async (
  deps: TaskDeps,
  args: UserArgs & { payeeAccount: string; payee: string; mfaToken?: string },
) => {
  const stepUp = await requireRecentSca(deps, args);
  const entry = { payee: args.payee, addedAt: deps.clock.now().toISOString() };
  await changePayees(
    deps,
    args,
    stepUp,
    (state) => {
      const before = state.trustedPayees ?? {};
      if (
        !Object.hasOwn(before, args.payeeAccount) &&
        Object.keys(before).length >= MAX_TRUSTED_PAYEES
      ) {
        throw new MfaError(
          'too_many_payees',
          `A user has at most ${MAX_TRUSTED_PAYEES} trusted payees: remove one first`,
        );
      }
      // Own data properties only, whatever the key (never the prototype).
      const payees = Object.fromEntries([...Object.entries(before), [args.payeeAccount, entry]]);
      return { ...state, trustedPayees: payees };
    },
    payeeEvent(deps, 'mfa.payee.trusted', args, stepUp),
  );
  return { payeeAccount: args.payeeAccount, ...entry };
};

/** Removes a trusted payee: 204; 404 when the user does not trust it. */
export const removeTrustedPayee = async (
  deps: TaskDeps,
  args: UserArgs & { payeeAccount: string; mfaToken?: string },
) => {
  const stepUp = await requireRecentSca(deps, args);
  await changePayees(
    deps,
    args,
    stepUp,
    (state) => {
      if (!Object.hasOwn(state.trustedPayees ?? {}, args.payeeAccount)) {
        throw new MfaError('not_found', 'This user does not trust this payee');
      }
      const { [args.payeeAccount]: _gone, ...payees } = state.trustedPayees ?? {};
      return { ...state, trustedPayees: payees };
    },
    payeeEvent(deps, 'mfa.payee.untrusted', args, stepUp),
  );
};

/** A trusted-payee change's audit event (the account masked). */
const payeeEvent = (
  deps: TaskDeps,
  type: 'mfa.payee.trusted' | 'mfa.payee.untrusted',
  args: UserArgs & { payeeAccount: string },
  stepUp: ScaStepUp,
) =>
  auditEvent(deps, type, {
    clientId: args.clientId,
    userRef: userRef(args.userId),
    payeeAccount: maskedAccount(args.payeeAccount),
    stepUpTransactionId: stepUp.transactionId,
  });
