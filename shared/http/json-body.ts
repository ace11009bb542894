import type { APIGatewayProxyEvent } from 'aws-lambda';
import type * as z from 'zod/mini';
import { MfaError } from '../errors.js';

export const MAX_BODY_BYTES = 16 * 1024;

const header = (event: APIGatewayProxyEvent, name: string): string | undefined => {
  const headers = event.headers ?? {};
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key ? headers[key] : undefined;
};

/** Reads the body the API conventions allow: JSON, at most 16 KiB, valid against `schema`. */
export const parseJsonBody = <S extends z.ZodMiniType>(
  event: APIGatewayProxyEvent,
  schema: S,
): z.infer<S> => {
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new MfaError('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  // No body at all is an empty object (a route that needs fields answers 400, not 415), also
  // when labelled JSON, as many HTTP clients label every POST.
  if (raw.trim() === '' && (contentType === undefined || mediaType === 'application/json'))
    return parseValue({}, schema);
  if (mediaType !== 'application/json') {
    throw new MfaError('unsupported_media_type', 'The body must be application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new MfaError('invalid_request', 'The body is not valid JSON');
  }
  return parseValue(parsed, schema);
};

const quoted = (values: readonly unknown[]) =>
  values.map((value) => JSON.stringify(value)).join(', ');

const sizeUnit = (origin: string) =>
  origin === 'string' ? 'characters' : origin === 'array' ? 'items' : '';

/**
 * Words for a broken rule that the schema did not word itself (zod/mini ships none). Built
 * from the rule's own limits and allowed values, never from the submitted value.
 */
const ruleWords = (issue: z.core.$ZodRawIssue): string => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be of type ${issue.expected}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)} ${sizeUnit(issue.origin)}`.trimEnd();
    case 'too_small':
      return `must be at least ${String(issue.minimum)} ${sizeUnit(issue.origin)}`.trimEnd();
    case 'invalid_value':
      return `must be one of ${quoted(issue.values)}`;
    case 'invalid_union':
      return 'options' in issue && Array.isArray(issue.options)
        ? `must be one of ${quoted(issue.options)}`
        : 'matches no allowed shape';
    default:
      return 'is invalid';
  }
};

const parseValue = <S extends z.ZodMiniType>(parsed: unknown, schema: S): z.infer<S> => {
  const result = schema.safeParse(parsed, { error: ruleWords });
  if (!result.success) {
    // Paths and rules only: never echo a submitted value.
    const problems = result.error.issues
      .map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`)
      .join('; ');
    throw new MfaError('invalid_request', `Invalid body: ${problems}`);
  }
  return result.data;
};

export { header as headerValue };
