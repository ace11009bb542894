import { flowRoute } from '../shared/http/flow-route.js';
import { stateTokenBody } from '../shared/http/schemas.js';

/** `POST /v1/authn/cancel`. */
export const handler = flowRoute('cancel', stateTokenBody);
