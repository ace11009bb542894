import type { APIGatewayProxyResult } from 'aws-lambda';
import { type ErrorCode, errorTable, MfaError } from '../errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Builds the RFC 9457 problem+json response for an error. 5xx bodies stay generic. */
export const problemResponse = (error: MfaError, requestId: string): APIGatewayProxyResult => {
  const { title } = errorTable[error.code];
  const serverSide = error.status >= 500;
  const body = {
    type: 'about:blank',
    title,
    status: error.status,
    code: error.code,
    detail: serverSide ? title : (error.detail ?? title),
    requestId,
    ...(serverSide ? {} : error.extras),
  };
  return {
    statusCode: error.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'x-request-id': requestId,
      ...error.headers,
    },
    body: JSON.stringify(body),
  };
};

export const problem = (code: ErrorCode, requestId: string, detail?: string) =>
  problemResponse(new MfaError(code, detail), requestId);

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  requestId: string,
): APIGatewayProxyResult => ({
  statusCode,
  headers: {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'x-request-id': requestId,
  },
  body: JSON.stringify(body),
});
