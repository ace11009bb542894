import * as z from 'zod/mini';
import { apiHandler, factorPath, mfaTokenOf, useCaseDeps } from '../shared/http/api-handler.js';
import { resendFactorCode } from '../shared/use-cases/factor-manage.js';

/** `POST /v1/users/{userId}/factors/{factorId}/resend`: a fresh activation code (sms/email). */
export const handler = apiHandler({ auth: 'client', body: z.object({}) }, async (request) => ({
  status: 200,
  body: await resendFactorCode(useCaseDeps(request), {
    ...factorPath(request),
    mfaToken: mfaTokenOf(request),
  }),
}));
