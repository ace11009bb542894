import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { errorTable, MfaError } from '../../shared/errors.js';
import { MAX_BODY_BYTES, parseJsonBody } from '../../shared/http/json-body.js';
import { problemResponse } from '../../shared/http/problem.js';
import { startBody } from '../../shared/http/schemas.js';

const event = (body: string | null, contentType?: string) =>
  ({
    body,
    isBase64Encoded: false,
    headers: contentType ? { 'Content-Type': contentType } : {},
  }) as unknown as APIGatewayProxyEvent;

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof MfaError ? `${error.status} ${error.code}` : 'other';
  }
  return 'none';
};

describe('JSON body rules', () => {
  it('accepts JSON with a charset and drops unknown fields', () => {
    const body = parseJsonBody(
      event('{"userId":"u1","extra":1}', 'application/json; charset=utf-8'),
      startBody,
    );
    expect(body).toEqual({ userId: 'u1' });
  });

  it.each([
    ['no content type', event('{"userId":"u1"}'), '415 unsupported_media_type'],
    ['text/plain', event('{"userId":"u1"}', 'text/plain'), '415 unsupported_media_type'],
    ['malformed JSON', event('{', 'application/json'), '400 invalid_request'],
    [
      'empty body labelled JSON, read as {}: no userId',
      event(null, 'application/json'),
      '400 invalid_request',
    ],
    ['empty body labelled text', event('', 'text/plain'), '415 unsupported_media_type'],
    ['schema violation', event('{"userId":"bad user"}', 'application/json'), '400 invalid_request'],
    [
      'wrong amount format',
      event(
        '{"userId":"u","transaction":{"amount":"1e3","currency":"EUR","payee":"x"}}',
        'application/json',
      ),
      '400 invalid_request',
    ],
    ['a JSON array', event('[]', 'application/json'), '400 invalid_request'],
    [
      '16 KiB and more of nothing but spaces',
      event(' '.repeat(MAX_BODY_BYTES + 1), 'application/json'),
      '413 payload_too_large',
    ],
    [
      'over 16 KiB',
      event(`{"userId":"u1","pad":"${'x'.repeat(MAX_BODY_BYTES)}"}`, 'application/json'),
      '413 payload_too_large',
    ],
  ])('%s → %s', (_name, input, expected) => {
    expect(codeOf(() => parseJsonBody(input, startBody))).toBe(expected);
  });

  it('reads an empty body as {}, with or without a JSON content type', () => {
    for (const contentType of [undefined, 'application/json', 'application/json; charset=utf-8']) {
      expect(parseJsonBody(event(' ', contentType), z.strictObject({}))).toEqual({});
    }
  });

  it('never echoes a submitted value in the detail', () => {
    try {
      parseJsonBody(event('{"userId":"secret value!"}', 'application/json'), startBody);
    } catch (error) {
      expect((error as MfaError).detail).not.toContain('secret value');
      expect((error as MfaError).detail).toContain('userId');
    }
  });
});

describe('problem+json', () => {
  it('carries code, status, request id, extras and headers for client errors', () => {
    const response = problemResponse(
      new MfaError(
        'invalid_passcode',
        'Wrong code',
        { attemptsRemaining: 4 },
        { 'retry-after': '3' },
      ),
      'req-1',
    );
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'x-request-id': 'req-1',
      'retry-after': '3',
    });
    expect(JSON.parse(response.body)).toEqual({
      type: 'about:blank',
      title: 'Invalid passcode',
      status: 401,
      code: 'invalid_passcode',
      detail: 'Wrong code',
      requestId: 'req-1',
      attemptsRemaining: 4,
    });
  });

  it('keeps 5xx bodies generic', () => {
    const response = problemResponse(
      new MfaError('internal_error', 'db password is hunter2', { x: 1 }),
      'r',
    );
    expect(response.body).not.toContain('hunter2');
    expect(JSON.parse(response.body)).toMatchObject({
      status: 500,
      code: 'internal_error',
      detail: 'Internal error',
    });
  });

  it('maps every code to a 4xx or 5xx status', () => {
    for (const { status } of Object.values(errorTable)) {
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
