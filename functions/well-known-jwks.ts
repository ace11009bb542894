import { signer } from '../shared/compose/signer.js';
import { apiHandler } from '../shared/http/api-handler.js';

/** `GET /.well-known/jwks.json`: the public keys that verify MFA tokens (no private member, ever). */
export const handler = apiHandler({ auth: 'none', uses: [signer] }, async (request) => ({
  status: 200,
  body: await request.deps.signer.publicJwks(),
  headers: { 'cache-control': 'public, max-age=300' },
}));
