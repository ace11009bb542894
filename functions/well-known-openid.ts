import { apiHandler } from '../shared/http/api-handler.js';

/** `GET /.well-known/openid-configuration`: where the issuer publishes its keys. */
export const handler = apiHandler({ auth: 'none' }, async (request) => {
  const issuer = request.deps.config.MFA_ISSUER;
  if (!issuer) throw new Error('Invalid configuration: MFA_ISSUER');
  return {
    status: 200,
    body: {
      issuer,
      jwks_uri: `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['ES256'],
    },
    headers: { 'cache-control': 'public, max-age=300' },
  };
});
