/**
 * The public constructs of the step-up MFA service and their props, as another CDK app
 * imports them: `import { MfaAuthorizer, MfaService } from 'step-up-mfa/constructs'`
 * (package.json `exports`, built to `dist/infra/index.js` with declarations).
 *
 * The Lambda handlers are not compiled here: each construct bundles its handler from
 * `functions/*.ts` of this package with esbuild at synth time (`MfaFunction`).
 *
 * @example
 * const mfa = new MfaAuthorizer(this, 'Mfa', { issuer, jwksUrl, audiences: ['payments-app'] });
 * mfa.addProtectedMethod(api.root.addResource('payments'), 'POST', integration, {
 *   maxAge: Duration.seconds(60),
 * });
 * mfa.addGatewayResponses(api);
 */
// The policy document type and a starting point for `defaultPolicy` (deny the sanctioned list, else mfa).
export { defaultPolicy, type Policy, parsePolicy } from '../shared/domain/policy/index.js';
export {
  MfaAuthorizer,
  type MfaAuthorizerProps,
  type ProtectedMethodOptions,
} from './mfa-authorizer.js';
export { type IMfaData, MfaData, type MfaDataProps } from './mfa-data.js';
export type { MfaAlarmThresholds } from './mfa-operations.js';
export {
  type ApiThrottle,
  type FunctionConcurrency,
  type LogLevel,
  MfaService,
  type MfaServiceProps,
  type WebAuthnSettings,
} from './mfa-service.js';
export { MfaServiceStack, type MfaServiceStackProps } from './mfa-service-stack.js';
export { MfaWebAcl, type MfaWebAclProps } from './mfa-web-acl.js';
export type { SigningMode } from './permissions.js';
