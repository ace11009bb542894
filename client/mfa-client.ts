import type {
  CancelResult,
  ChallengeResult,
  Jwks,
  OpenIdConfiguration,
  StartAuthnRequest,
  StartAuthnResult,
  StateTokenRequest,
  TransactionStatus,
  VerifyRequest,
  VerifyResult,
} from './authn-types.js';
import {
  type MfaClientOptions,
  type ScaOptions,
  type StepUpOptions,
  transportOptions,
} from './client-options.js';
import type {
  ActivateFactorRequest,
  ActivateFactorResult,
  AddTrustedPayeeRequest,
  EnrollFactorRequest,
  EnrollFactorResult,
  FactorList,
  ResendActivationResult,
  TrustedPayee,
  TrustedPayeeList,
} from './factor-types.js';
import { type Call, type CallOptions, createTransport } from './transport.js';

/**
 * A typed client of the step-up MFA service's HTTP API (API.md), for an app's server side.
 * One method per route; path parameters are %-encoded; each method resolves to the answer's
 * body and rejects only with an `MfaApiError` (a problem the service answered, or
 * `network_error`, `timeout`, `aborted`, `invalid_response`, `invalid_argument`). It uses the
 * global `fetch` and nothing else (Node 20+, Deno, Bun, workers, browsers) and never logs.
 *
 * @example
 * const mfa = new MfaClient({
 *   baseUrl: 'http://localhost:3000',
 *   clientId: 'demo',
 *   clientSecret: 'demo-secret',
 * });
 * const started = await mfa.startAuthn({
 *   userId: 'u-123',
 *   transaction: { amount: '250.00', currency: 'EUR', payee: 'ACME Ltd' },
 * });
 * if (started.status === 'MFA_REQUIRED') {
 *   const { stateToken, factors: [factor] } = started;
 *   if (factor) {
 *     await mfa.challenge(factor.id, { stateToken }); // the user gets a code
 *     const verified = await mfa.verify(factor.id, { stateToken, passCode: codeFromUser });
 *     if (verified.status === 'SUCCESS') approvePayment(verified.token);
 *   }
 * }
 */
export class MfaClient {
  // Private: the credentials never show in a log of the object or its JSON.
  readonly #send: ReturnType<typeof createTransport>;

  constructor(options: MfaClientOptions) {
    this.#send = createTransport(transportOptions(options));
  }

  /** A `/v1` call as the app (HTTP Basic); `options` give only the signal and the MFA token. */
  #app<T>(
    method: Call['method'],
    route: string,
    params: Readonly<Record<string, string>>,
    body: unknown,
    options: StepUpOptions | undefined,
    answered = true,
  ): Promise<T> {
    const { signal, mfaToken } = options ?? {};
    return this.#send<T>({ method, route, params, body, auth: true, answered, signal, mfaToken });
  }

  /** `POST /v1/users/{userId}/factors` → 201: the PENDING_ACTIVATION factor (a PIN: ACTIVE). */
  enrollFactor(
    userId: string,
    request: EnrollFactorRequest,
    options?: StepUpOptions,
  ): Promise<EnrollFactorResult> {
    return this.#app('POST', '/v1/users/{userId}/factors', { userId }, request, options);
  }

  /** `POST /v1/users/{userId}/factors/{factorId}/activate` → the ACTIVE factor. */
  activateFactor(
    userId: string,
    factorId: string,
    request: ActivateFactorRequest,
    options?: StepUpOptions,
  ): Promise<ActivateFactorResult> {
    const route = '/v1/users/{userId}/factors/{factorId}/activate';
    return this.#app('POST', route, { userId, factorId }, request, options);
  }

  /** `POST /v1/users/{userId}/factors/{factorId}/resend`: a fresh activation code (sms/email). */
  resendActivation(
    userId: string,
    factorId: string,
    options?: StepUpOptions,
  ): Promise<ResendActivationResult> {
    const route = '/v1/users/{userId}/factors/{factorId}/resend';
    return this.#app('POST', route, { userId, factorId }, {}, options);
  }

  /** `GET /v1/users/{userId}/factors`: masked profiles, oldest first. */
  listFactors(userId: string, options?: CallOptions): Promise<FactorList> {
    return this.#app('GET', '/v1/users/{userId}/factors', { userId }, undefined, options);
  }

  /** `DELETE /v1/users/{userId}/factors/{factorId}` → 204: the factor and its secret are gone. */
  deleteFactor(userId: string, factorId: string, options?: StepUpOptions): Promise<void> {
    const route = '/v1/users/{userId}/factors/{factorId}';
    return this.#app('DELETE', route, { userId, factorId }, undefined, options, false);
  }

  /** `POST /v1/authn`: `MFA_REQUIRED`, `MFA_ENROLL`, or `SUCCESS` (a policy exemption). */
  startAuthn(request: StartAuthnRequest, options?: CallOptions): Promise<StartAuthnResult> {
    return this.#app('POST', '/v1/authn', {}, request, options);
  }

  /** `POST /v1/authn/factors/{factorId}/challenge`: sends a code (sms/email; no-op for totp). */
  challenge(
    factorId: string,
    request: StateTokenRequest,
    options?: CallOptions,
  ): Promise<ChallengeResult> {
    const route = '/v1/authn/factors/{factorId}/challenge';
    return this.#app('POST', route, { factorId }, request, options);
  }

  /** `POST /v1/authn/factors/{factorId}/verify`: `SUCCESS`, or `MFA_REQUIRED` for another factor. */
  verify(factorId: string, request: VerifyRequest, options?: CallOptions): Promise<VerifyResult> {
    const route = '/v1/authn/factors/{factorId}/verify';
    return this.#app('POST', route, { factorId }, request, options);
  }

  /** `POST /v1/authn/cancel` → `CANCELLED`. */
  cancel(request: StateTokenRequest, options?: CallOptions): Promise<CancelResult> {
    return this.#app('POST', '/v1/authn/cancel', {}, request, options);
  }

  /** `POST /v1/authn/status`: the transaction's status and expiry. */
  status(request: StateTokenRequest, options?: CallOptions): Promise<TransactionStatus> {
    return this.#app('POST', '/v1/authn/status', {}, request, options);
  }

  /** `GET /v1/users/{userId}/trusted-payees`: the user's trusted beneficiaries. */
  listTrustedPayees(userId: string, options?: StepUpOptions): Promise<TrustedPayeeList> {
    return this.#app('GET', '/v1/users/{userId}/trusted-payees', { userId }, undefined, options);
  }

  /** `POST /v1/users/{userId}/trusted-payees` → 201 with the entry; needs the user's recent SCA. */
  addTrustedPayee(
    userId: string,
    request: AddTrustedPayeeRequest,
    options: ScaOptions,
  ): Promise<TrustedPayee> {
    return this.#app('POST', '/v1/users/{userId}/trusted-payees', { userId }, request, options);
  }

  /** `DELETE /v1/users/{userId}/trusted-payees/{payeeAccount}` → 204; needs the user's recent SCA. */
  removeTrustedPayee(userId: string, payeeAccount: string, options: ScaOptions): Promise<void> {
    const route = '/v1/users/{userId}/trusted-payees/{payeeAccount}';
    return this.#app('DELETE', route, { userId, payeeAccount }, undefined, options, false);
  }

  /** `GET /.well-known/jwks.json`: the keys that verify MFA tokens (sent without credentials). */
  jwks(options?: CallOptions): Promise<Jwks> {
    const { signal } = options ?? {};
    return this.#send({ method: 'GET', route: '/.well-known/jwks.json', auth: false, signal });
  }

  /** `GET /.well-known/openid-configuration`: `issuer` and `jwks_uri` (sent without credentials). */
  openidConfiguration(options?: CallOptions): Promise<OpenIdConfiguration> {
    const { signal } = options ?? {};
    const route = '/.well-known/openid-configuration';
    return this.#send({ method: 'GET', route, auth: false, signal });
  }
}
