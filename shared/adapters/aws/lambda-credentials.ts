/**
 * What the Lambda bundles use in place of `@aws-sdk/credential-provider-node` (an esbuild
 * alias, `infra/mfa-function.ts`): Lambda hands every function its role's credentials in the
 * environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the
 * default chain's other sources (profiles, SSO, web identity, containers, instance metadata)
 * and the STS/SSO clients they carry are never read there, only loaded: about 90 KB of every
 * bundle and part of each cold start. Without those variables a client's first request fails
 * with the SDK's own `CredentialsProviderError`. The local runtime and the tests run the
 * source, with the default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
