/**
 * The AWS requests the service makes, as the local runtime serves them, with their times:
 * what `npm run bench` builds its hop model from (counted, not typed by hand). Off unless
 * the runtime is started with `recordHops` (a long-running `npm start` keeps nothing).
 */
export interface Hop {
  /** The AWS service the request goes to on AWS: `DynamoDB`, `Lambda`, `KMS`, … */
  readonly service: string;
  /** Its API operation (`UpdateItem`, `Sign`, …); for Lambda, the function's module. */
  readonly operation: string;
  /** `performance.now()` when it was sent and when its answer came. */
  readonly start: number;
  readonly end: number;
  /** The request's input (DynamoDB: the command input, replayed by `bench-ceiling.ts`). */
  readonly input?: unknown;
}

export class HopLog {
  readonly hops: Hop[] = [];
  constructor(readonly enabled: boolean) {}

  /** Runs `call`, recording it as one request when enabled. */
  async time<T>(
    service: string,
    operation: string,
    call: () => Promise<T>,
    input?: unknown,
  ): Promise<T> {
    if (!this.enabled) return call();
    const start = performance.now();
    try {
      return await call();
    } finally {
      this.hops.push({ service, operation, start, end: performance.now(), input });
    }
  }

  /** The requests recorded since the last `take`. */
  take(): Hop[] {
    return this.hops.splice(0);
  }
}
