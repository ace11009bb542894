import { flowRoute } from '../shared/http/flow-route.js';
import { stateTokenBody } from '../shared/http/schemas.js';

/** `POST /v1/authn/factors/{factorId}/challenge`: sends a code (sms/email); no-op for totp. */
export const handler = flowRoute('challenge', stateTokenBody);
