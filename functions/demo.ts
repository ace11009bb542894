import { apiHandler } from '../shared/http/api-handler.js';

/**
 * The demo routes (`/demo`, `/demo/dogs`, `/demo/cats`): whatever the MFA authorizer let
 * through. Protected routes see the verified token's subject in the authorizer context.
 */
export const handler = apiHandler({ auth: 'none' }, async ({ event }) => {
  const authorizer = event.requestContext?.authorizer as Record<string, string> | null | undefined;
  return {
    status: 200,
    body: authorizer?.sub
      ? {
          sub: authorizer.sub,
          txn: authorizer.txn,
          authTime: Number(authorizer.authTime),
          acr: authorizer.acr,
          resource: event.resource,
        }
      : {
          message:
            'Public demo route. /demo/dogs needs an MFA token; /demo/cats needs MFA within the last 60 s; /demo/payments needs SCA (two categories).',
        },
  };
});
