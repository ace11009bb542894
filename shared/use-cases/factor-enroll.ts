import QRCode from 'qrcode';
import { normaliseEmail, normalisePhone } from '../domain/destination.js';
import type { StoredFactor } from '../domain/entities.js';
import { newFactorId } from '../domain/factor-id.js';
import { factorView } from '../domain/factor-view.js';
import { destinationHash } from '../domain/otp.js';
import { iso } from '../domain/time.js';
import { base32, newTotpSecret, totpUri } from '../domain/totp.js';
import { MfaError } from '../errors.js';
import type { TaskDeps } from '../flow-task.js';
import { epochSeconds } from '../ports/clock.js';
import { auditFactor } from './audit.js';
import { resendActivation, sendActivationCode } from './factor-activation.js';
import {
  activeFactorCount,
  guardRefusal,
  requireRecentMfa,
  userForChange,
} from './factor-step-up.js';

/** Time to scan the QR code and type a first code. */
export const TOTP_ACTIVATION_SECONDS = 900;

export type EnrollBody =
  | { readonly type: 'sms'; readonly phoneNumber: string }
  | { readonly type: 'email'; readonly email: string }
  | { readonly type: 'totp' };

const tooMany = (max: number) =>
  new MfaError('too_many_factors', `A user can have at most ${max} factors`);
const exists = () =>
  new MfaError('factor_exists', 'This destination is already an active factor of the user');

/**
 * Enroll: sms/email get a code at the address (a second enroll of a pending address sends a
 * fresh code, within the cooldown); totp gets a 160-bit secret, shown only in this answer.
 */
export const enrollFactor = async (
  deps: TaskDeps,
  args: { clientId: string; userId: string; body: EnrollBody; mfaToken?: string },
): Promise<{ status: number; body: Record<string, unknown> }> => {
  const { clientId, userId, body } = args;
  const { config, clock, random, factors } = deps;
  const createdAt = clock.now().toISOString();
  const now = epochSeconds(clock.now());
  const max = config.MAX_FACTORS_PER_USER;
  const user = await userForChange(deps, clientId, userId);
  const stepUp = await requireRecentMfa(deps, { clientId, userId, user, mfaToken: args.mfaToken });
  const stepUpTransactionId = stepUp.transactionId;
  /** Adds the factor under the step-up guard; explains a refusal. */
  const add = async (factor: StoredFactor) => {
    const guard = stepUp.guardFor(factor.factorId);
    const added = await factors.add(clientId, userId, factor, {
      maxFactors: max,
      activeCount: activeFactorCount(user),
      guard,
    });
    if (added === 'exists') throw exists();
    if (added === 'too_many') throw tooMany(max);
    if (added === 'refused') {
      const current = await factors.getUser(clientId, userId);
      throw (
        guardRefusal(deps, current, guard) ??
        new MfaError('invalid_state', 'The user changed meanwhile; try again')
      );
    }
  };

  if (body.type === 'totp') {
    const factorId = newFactorId('totp', random);
    const secret = newTotpSecret(random);
    const sealedSecret = await deps.secretBox.seal(secret, { clientId, userId, factorId });
    const activation = { expiresAt: now + TOTP_ACTIVATION_SECONDS, attempts: 0 };
    const factor: StoredFactor = {
      factorId,
      type: 'totp',
      status: 'PENDING_ACTIVATION',
      createdAt,
      sealedSecret,
      activation,
      failures: 0,
    };
    await add(factor);
    const otpauthUri = totpUri(secret, config.MFA_ISSUER_NAME, userId);
    await auditFactor(deps, 'mfa.factor.enrolled', {
      clientId,
      userId,
      factorId,
      factorType: 'totp',
      stepUpTransactionId,
    });
    deps.log.info('factor enrolled', { factorType: 'totp' });
    return {
      status: 201,
      body: {
        factor: factorView(factor),
        activation: {
          expiresAt: iso(activation.expiresAt),
          secret: base32(secret),
          otpauthUri,
          qrCode: await QRCode.toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2 }),
        },
      },
    };
  }

  const destination =
    body.type === 'sms'
      ? normalisePhone(body.phoneNumber, config.SMS_ALLOWED_COUNTRIES)
      : normaliseEmail(body.email);
  const hash = destinationHash(await deps.otpKeys.otpMacKey(), `${body.type}:${destination}`);
  const existing = user?.factors[user.byDestination[hash] ?? ''];
  if (existing?.status === 'ACTIVE') throw exists();
  if (existing)
    return {
      status: 201,
      body: await resendActivation(deps, {
        clientId,
        userId,
        factor: existing,
        guard: stepUp.guardFor(existing.factorId),
      }),
    };
  if (Object.keys(user?.factors ?? {}).length >= max) throw tooMany(max);

  const factor: StoredFactor = {
    factorId: newFactorId(body.type, random),
    type: body.type,
    status: 'PENDING_ACTIVATION',
    createdAt,
    destination,
    destinationHash: hash,
    failures: 0,
  };
  const activation = await sendActivationCode(
    deps,
    { clientId, userId, factor },
    async (activation) => {
      await add({ ...factor, activation });
      // A factor whose first code never arrived is of no use: enrolling again starts afresh.
      return () => factors.remove(clientId, userId, factor);
    },
  );
  await auditFactor(deps, 'mfa.factor.enrolled', {
    clientId,
    userId,
    factorId: factor.factorId,
    factorType: factor.type,
    stepUpTransactionId,
  });
  deps.log.info('factor enrolled', { factorType: body.type });
  return {
    status: 201,
    body: { factor: factorView(factor), activation: { expiresAt: iso(activation.expiresAt) } },
  };
};
