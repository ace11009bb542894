import { base32, newTotpSecret, totpUri } from '../../domain/totp.js';
import type { EnrollBody, Enrollment } from '../enrollment.js';
import { qrPngDataUrl } from './qr-png.js';

/**
 * TOTP: a 160-bit secret, sealed at rest (bound to the app, user and factor) and shown only
 * in the enrollment answer, as base32, an otpauth URI and a QR code. The user has
 * `TOTP_ACTIVATION_SECONDS` to scan it and type a first code.
 */
export const totpEnrollment: Enrollment<Extract<EnrollBody, { type: 'totp' }>> = {
  draft: async (deps, args) => {
    const secret = newTotpSecret(deps.random);
    const sealedSecret = await deps.secretBox.seal(secret, {
      clientId: args.clientId,
      userId: args.userId,
      factorId: args.factorId,
    });
    const otpauthUri = totpUri(secret, deps.config.MFA_ISSUER_NAME, args.userId);
    return {
      factor: {
        factorId: args.factorId,
        type: 'totp',
        status: 'PENDING_ACTIVATION',
        createdAt: args.createdAt,
        sealedSecret,
        activation: {
          expiresAt: args.nowSeconds + deps.config.TOTP_ACTIVATION_SECONDS,
          attempts: 0,
        },
        failures: 0,
      },
      shown: {
        secret: base32(secret),
        otpauthUri,
        qrCode: qrPngDataUrl(otpauthUri),
      },
    };
  },
};
