import { challengeBinding, otpMac } from '../shared/domain/otp.js';
import { MfaError } from '../shared/errors.js';
import { unwrapOutcome } from '../shared/flow-task.js';
import { flowRoute } from '../shared/http/flow-route.js';
import { verifyBody } from '../shared/http/schemas.js';
import { epochSeconds } from '../shared/ports/clock.js';

/**
 * `POST /v1/authn/factors/{factorId}/verify`. The pass code enters the workflow only as an
 * HMAC bound to this transaction and factor. On success the workflow returns the claims and
 * this function signs them: the token never passes through Step Functions, and a signing
 * failure is a 503, never an unsigned token.
 */
export const handler = flowRoute('verify', verifyBody, {
  extra: async (request, { stateTokenHash, factorId }) => {
    const key = await request.deps.otpKeys.otpMacKey();
    return {
      passCodeMac: otpMac(
        key,
        'challenge',
        challengeBinding(stateTokenHash, factorId),
        request.body.passCode,
      ),
    };
  },
  finish: async (outcome, request) => {
    const body = unwrapOutcome(outcome);
    if (!outcome.ok || !outcome.claims) throw new MfaError('internal_error');
    const { config, clock, random, signer } = request.deps;
    const issuer = config.MFA_ISSUER;
    if (!issuer) throw new Error('Invalid configuration: MFA_ISSUER');
    const iat = epochSeconds(clock.now());
    let token: string;
    try {
      token = await signer.sign({
        ...outcome.claims,
        iss: issuer,
        iat,
        exp: iat + config.TOKEN_TTL_SECONDS,
        jti: random.uuid(),
      });
    } catch (error) {
      request.log.error('token signing failed', { error, transactionId: body.transactionId });
      throw new MfaError(
        'service_unavailable',
        'The token could not be signed; start a new transaction',
      );
    }
    return { ...body, token, tokenType: 'Bearer', expiresIn: config.TOKEN_TTL_SECONDS };
  },
});
