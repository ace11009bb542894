/**
 * What the Lambda bundles use in place of `@aws-sdk/credential-provider-node` (an esbuild
 * alias, `infra/mfa-function.ts`): Lambda hands a function its role's credentials in the
 * environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), or, in
 * modes that keep no keys in the environment (SnapStart, and possibly Lambda Managed
 * Instances), through a credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`). The
 * default chain's other sources (profiles, SSO, web identity, instance metadata) and the
 * STS/SSO clients they carry are never read there, only loaded: about 90 KB of every bundle
 * and part of each cold start. With neither, a client's first request fails with the SDK's
 * own `CredentialsProviderError`. The local runtime and the tests run the sources, with the
 * default chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';

type Init = Parameters<typeof fromEnv>[0];

export const defaultProvider = (init?: Init): ReturnType<typeof fromEnv> => {
  const { env } = process;
  const endpoint =
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  return !env.AWS_ACCESS_KEY_ID && endpoint ? fromHttp(init ?? {}) : fromEnv(init);
};
