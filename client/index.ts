/**
 * The typed client of the step-up MFA service (API.md): `MfaClient`, its error `MfaApiError`,
 * and the request and answer types. Global `fetch` only: no Node API, no dependency.
 */
export type * from './authn-types.js';
export type { MfaClientOptions, ScaOptions, StepUpOptions } from './client-options.js';
export {
  type ClientErrorCode,
  isMfaApiError,
  type JsonValue,
  MfaApiError,
  type MfaApiErrorCode,
  type MfaApiErrorInit,
  type ServiceErrorCode,
} from './errors.js';
export type * from './factor-types.js';
export { MfaClient } from './mfa-client.js';
export type { CallOptions, FetchLike } from './transport.js';
