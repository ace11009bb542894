/** Why a policy document was refused: one code, for the HTTP layer's 400 `invalid_policy`. */
export type PolicyErrorCode = 'invalid_policy';

/**
 * A refused policy document. `path` names the first problem (`rules.2.if.ip.inCidr.0`, the
 * dotted form the request validation uses), `problem` says what it must be; neither ever
 * repeats the value. Callers and tests branch on `code` and `path`, not the message.
 */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  readonly code: PolicyErrorCode = 'invalid_policy';

  constructor(
    /** Dotted path of the first problem; `(policy)` for the document itself. */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}
