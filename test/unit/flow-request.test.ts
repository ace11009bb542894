import { describe, expect, it } from 'vitest';
import type { Deps } from '../../shared/deps.js';
import type { MfaTokenClaims } from '../../shared/domain/mfa-token.js';
import { challengeBinding, otpMac } from '../../shared/domain/otp.js';
import { hashStateToken } from '../../shared/domain/state-token.js';
import { MfaError } from '../../shared/errors.js';
import type { ApiRequest } from '../../shared/http/api-handler.js';
import { factorStep, submittedProof, transactionStep } from '../../shared/http/flow-request.js';
import { signMfaToken } from '../../shared/http/sign-token.js';
import { createLogger } from '../../shared/log.js';

const REF = 'A'.repeat(43);
const STATE_TOKEN = `${REF}.${'b'.repeat(43)}`;
const FACTOR_ID = `sms_${'c'.repeat(20)}`;
const KEY = new Uint8Array(32).fill(7);
const NOW_SECONDS = 1_700_000_000;
const claims = {
  sub: 'u1',
  aud: 'app',
  auth_time: NOW_SECONDS,
  amr: ['otp'],
  acr: 'mfa',
  txn: 't1',
};

/** A request as `apiHandler` hands it to a flow handler, with only the deps these helpers use. */
const request = <B>(body: B, options: { factorId?: string; sign?: Deps['signer']['sign'] } = {}) =>
  ({
    requestId: 'r1',
    clientId: 'app',
    body,
    pathParameters: options.factorId === undefined ? {} : { factorId: options.factorId },
    log: createLogger({ service: 'test', level: 'error', write: () => {} }),
    deps: {
      config: { MFA_ISSUER: 'https://mfa.example', TOKEN_TTL_SECONDS: 300 },
      clock: { now: () => new Date(NOW_SECONDS * 1000) },
      random: { uuid: () => 'jti-1' },
      otpKeys: { otpMacKey: async () => KEY },
      signer: {
        sign: options.sign ?? (async (c: MfaTokenClaims) => `signed:${JSON.stringify(c)}`),
      },
    },
  }) as unknown as ApiRequest<B>;

const problemOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof MfaError ? `${error.status} ${error.code}` : 'other';
  }
  return 'none';
};

describe('flow request helpers', () => {
  it('names the transaction by hashes only: never the state token', () => {
    const step = transactionStep(request({ stateToken: STATE_TOKEN }));
    expect(step).toEqual({
      requestId: 'r1',
      clientId: 'app',
      userRef: REF,
      stateTokenHash: hashStateToken(STATE_TOKEN),
    });
    expect(JSON.stringify(step)).not.toContain(STATE_TOKEN);
  });

  it('a token that is not one of ours, or a malformed factor id, is 404 not_found', () => {
    expect(problemOf(() => transactionStep(request({ stateToken: 'x'.repeat(40) })))).toBe(
      '404 not_found',
    );
    const badFactor = request({ stateToken: STATE_TOKEN }, { factorId: 'sms_short' });
    expect(problemOf(() => factorStep(badFactor))).toBe('404 not_found');
    const good = request({ stateToken: STATE_TOKEN }, { factorId: FACTOR_ID });
    expect(factorStep(good).factorId).toBe(FACTOR_ID);
  });

  it('the pass code enters the workflow as an HMAC bound to the transaction and factor', async () => {
    const verify = request(
      { stateToken: STATE_TOKEN, passCode: '123456' },
      { factorId: FACTOR_ID },
    );
    const step = factorStep(verify);
    const mac = await submittedProof(verify, step);
    const binding = challengeBinding(hashStateToken(STATE_TOKEN), FACTOR_ID);
    expect(mac).toEqual({ passCodeMac: otpMac(KEY, 'challenge', binding, '123456') });
    expect(mac).not.toEqual(
      await submittedProof(verify, { ...step, factorId: `email_${'c'.repeat(20)}` }),
    );
    expect(JSON.stringify(mac)).not.toContain('123456');
  });

  it('names the member a factor kind needs: passCode for codes, credential for passkeys', async () => {
    const passkey = `webauthn_${'d'.repeat(20)}`;
    const noCredential = request({ stateToken: STATE_TOKEN, passCode: '123456' }, {});
    await expect(
      submittedProof(noCredential, {
        ...factorStep(request({ stateToken: STATE_TOKEN }, { factorId: FACTOR_ID })),
        factorId: passkey,
      }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      detail: 'Invalid body: credential: required for a webauthn factor',
    });
    const noCode = request(
      { stateToken: STATE_TOKEN } as { stateToken: string; passCode?: string },
      { factorId: FACTOR_ID },
    );
    await expect(submittedProof(noCode, factorStep(noCode))).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      detail: 'Invalid body: passCode: required for a sms factor',
    });
  });
});

describe('signing the MFA token', () => {
  it('adds iss, iat, exp and jti to the claims the workflow returned', async () => {
    const signed = await signMfaToken(request({}), claims);
    expect(signed).toMatchObject({ tokenType: 'Bearer', expiresIn: 300 });
    expect(JSON.parse(signed.token.slice('signed:'.length))).toEqual({
      ...claims,
      iss: 'https://mfa.example',
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 300,
      jti: 'jti-1',
    });
  });

  it('a signing failure is 503 service_unavailable, never an unsigned token', async () => {
    const failing = request({}, { sign: async () => Promise.reject(new Error('KMS down')) });
    await expect(signMfaToken(failing, claims)).rejects.toMatchObject({
      code: 'service_unavailable',
      status: 503,
    });
  });

  it('a verify without claims is a plain error (a generic 500)', async () => {
    const error = await signMfaToken(request({}), undefined).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(MfaError);
  });
});
