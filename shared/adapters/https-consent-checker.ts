import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { ConsentChecker, ConsentVerdict } from '../ports/consent.js';

/** The whole exchange, connect to last byte (API.md: a 2 s timeout). */
export const CONSENT_CHECK_TIMEOUT_MS = 2000;
/** An answer is a small JSON object: anything longer is not a valid one. */
const MAX_ANSWER_BYTES = 16 * 1024;

export interface HttpsConsentCheckerOptions {
  /** @default CONSENT_CHECK_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Another CA to trust besides the system's (the local runtime's tests); never on AWS. */
  readonly extraCa?: string;
}

const isValidAnswer = (text: string): boolean => {
  try {
    const answer = JSON.parse(text) as unknown;
    return (
      typeof answer === 'object' &&
      answer !== null &&
      (answer as { valid?: unknown }).valid === true
    );
  } catch {
    return false;
  }
};

/**
 * POSTs `{ consentId, userId, transaction }` as JSON to the app's `consentCheck.url` (https,
 * validated with the policy). Only a 2xx answer whose body is `{ "valid": true }` is valid;
 * redirects are not followed (an answer, so invalid). No answer within the timeout, or no
 * connection at all, is `unavailable`: the caller says 503, never "valid". Nothing of the
 * request or the answer is logged here.
 */
export const httpsConsentChecker = (options: HttpsConsentCheckerOptions = {}): ConsentChecker => ({
  check: (url, query) =>
    new Promise<ConsentVerdict>((resolve) => {
      const payload = JSON.stringify(query);
      let settled = false;
      const settle = (verdict: ConsentVerdict) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(verdict);
      };
      const req = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
          ...(options.extraCa ? { ca: [...rootCertificates, options.extraCa] } : {}),
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return settle('invalid');
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES) return settle('invalid');
            chunks.push(chunk);
          });
          res.on('end', () =>
            settle(isValidAnswer(Buffer.concat(chunks).toString('utf8')) ? 'valid' : 'invalid'),
          );
          res.on('error', () => settle('unavailable'));
        },
      );
      const timer = setTimeout(
        () => settle('unavailable'),
        options.timeoutMs ?? CONSENT_CHECK_TIMEOUT_MS,
      );
      req.on('error', () => settle('unavailable'));
      req.end(payload);
    }),
});
