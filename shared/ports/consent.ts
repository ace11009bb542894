import type { PolicyTransaction } from '../domain/policy/index.js';

/** What the app's consent check is asked (API.md "Policy": `consentCheck`). */
export interface ConsentQuery {
  readonly consentId: string;
  readonly userId: string;
  readonly transaction?: PolicyTransaction;
}

/**
 * `valid`: 2xx with `{ "valid": true }`; `invalid`: any other answer; `unavailable`: no
 * answer (unreachable, timed out).
 */
export type ConsentVerdict = 'valid' | 'invalid' | 'unavailable';

/** Port: the app's own consent service, asked before a start that names a consent. */
export interface ConsentChecker {
  check(url: string, query: ConsentQuery): Promise<ConsentVerdict>;
}
