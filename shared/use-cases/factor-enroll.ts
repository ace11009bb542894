import type { StoredFactor } from '../domain/entities.js';
import { newFactorId } from '../domain/factor-id.js';
import { iso } from '../domain/time.js';
import { MfaError } from '../errors.js';
import type { EnrollBody } from '../factors/enrollment.js';
import { draftFactor } from '../factors/enrollments.js';
import { factorView, kindOf } from '../factors/registry.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { factorEvent, publish } from './audit.js';
import { resendActivation, sendActivationCode } from './factor-activation.js';
import {
  activeFactorCount,
  guardRefusal,
  requireRecentMfa,
  userForChange,
} from './factor-step-up.js';

export type { EnrollBody } from '../factors/enrollment.js';

const tooMany = (max: number) =>
  new MfaError('too_many_factors', `A user can have at most ${max} factors`);
const exists = () =>
  new MfaError(
    'factor_exists',
    'The user already has this factor (this destination, or their one PIN or recovery-code set), active or being enrolled',
  );

/**
 * Enroll: the factor's kind validates the profile and drafts the pending factor. A kind that
 * sends codes gets an activation code sent to the address (a second enroll of a pending
 * address sends a fresh one, within the cooldown); TOTP shows its secret in this answer only.
 */
export const enrollFactor = async (
  deps: TaskDeps,
  args: {
    clientId: string;
    userId: string;
    body: EnrollBody;
    mfaToken?: string;
    /** The app's policy counts email as possession (the step-up counts categories so). */
    emailIsPossession?: boolean;
  },
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const { clientId, userId, body } = args;
  const { config, clock, random, factors } = deps;
  const max = config.MAX_FACTORS_PER_USER;
  const user = await userForChange(deps, clientId, userId);
  const stepUp = await requireRecentMfa(deps, { ...args, user });
  // Before any costly drafting (a PIN's slow hash): a kind that sends codes may still resend
  // to a pending address of a user at the cap, the others cannot add anything.
  if (!kindOf(body.type).delivery && Object.keys(user?.factors ?? {}).length >= max) {
    throw tooMany(max);
  }
  const { factor, shown } = await draftFactor(deps, {
    clientId,
    userId,
    factorId: newFactorId(body.type, random),
    createdAt: clock.now().toISOString(),
    nowSeconds: epochSeconds(clock.now()),
    body,
  });

  const existing = factor.destinationHash
    ? user?.factors[user.byDestination[factor.destinationHash] ?? '']
    : undefined;
  if (existing?.status === 'ACTIVE') throw exists();
  if (existing) {
    const guard = stepUp.guardFor(existing.factorId);
    return {
      status: 201,
      body: await resendActivation(deps, { clientId, userId, factor: existing, guard }),
    };
  }
  if (Object.keys(user?.factors ?? {}).length >= max) throw tooMany(max);

  /** Adds the factor under the step-up guard; explains a refusal. */
  const add = async (pending: StoredFactor) => {
    const guard = stepUp.guardFor(pending.factorId);
    const added = await factors.add(clientId, userId, pending, {
      maxFactors: max,
      activeCount: activeFactorCount(user),
      guard,
      audit: {
        events: [
          factorEvent(deps, 'mfa.factor.enrolled', {
            clientId,
            userId,
            factorId: pending.factorId,
            factorType: pending.type,
            stepUpTransactionId: stepUp.transactionId,
          }),
        ],
        read: { item: user },
      },
    });
    if (added.ok) {
      await publish(deps, added.recorded);
      return;
    }
    // Why, from the item the refused write saw: the destination taken, the cap, the guard.
    const { seen } = added;
    const hash = pending.destinationHash;
    if (hash && seen?.byDestination[hash]) throw exists();
    if (Object.keys(seen?.factors ?? {}).length >= max) throw tooMany(max);
    throw (
      guardRefusal(deps, seen, guard) ??
      new MfaError('invalid_state', 'The user changed meanwhile; try again')
    );
  };
  let activation = factor.activation;
  if (kindOf(factor.type).delivery) {
    activation = await sendActivationCode(deps, { clientId, userId, factor }, async (sent) => {
      await add({ ...factor, activation: sent });
      // A factor whose first code never arrived is of no use: enrolling again starts afresh.
      return async () => {
        const removed = await factors.remove(clientId, userId, factor, {
          audit: {
            events: [
              factorEvent(deps, 'mfa.factor.deleted', {
                clientId,
                userId,
                factorId: factor.factorId,
                factorType: factor.type,
              }),
            ],
          },
        });
        if (removed.ok) await publish(deps, removed.recorded);
        return removed;
      };
    });
  } else {
    await add(factor);
  }

  deps.log.info('factor enrolled', { factorType: factor.type });
  return {
    status: 201,
    body: {
      factor: factorView(factor),
      // A factor active from its enrollment has no activation to describe (a PIN), unless it
      // shows something once (recovery codes).
      ...(activation || shown
        ? {
            activation: {
              ...(activation ? { expiresAt: iso(activation.expiresAt) } : {}),
              ...shown,
            },
          }
        : {}),
    },
  };
};
