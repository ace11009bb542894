/**
 * Per-hop figures for `npm run bench`'s hop model and capacity table, in one place, each
 * with its source and how solid it is: `checked` (read in AWS's own text), `indirect` (a
 * third-party copy of AWS text, or inferred from an AWS statement), `unchecked` (no AWS text
 * seen: an assumption, stated). Latencies are p50, in-region, warm. Quotas are account
 * defaults per region (us-east-1 where they differ). Check your account's Service Quotas
 * console before relying on any of them.
 */
export type Confidence = 'checked' | 'indirect' | 'unchecked';

export interface LatencyFigure {
  readonly ms: number;
  readonly source: string;
  readonly confidence: Confidence;
}

/** Latency of one request to a service (or, for containers, the overhead they add). */
export const LATENCY: Readonly<Record<string, LatencyFigure>> = {
  // The API call itself: REST API → the API function (Lambda proxy), warm, both ways.
  APIGateway: {
    ms: 15,
    source:
      'AWS: HTTP APIs add <10 ms at p99 and are up to 60% faster than REST APIs (aws.amazon.com/blogs/compute/building-better-apis-http-apis-now-generally-available); REST + Lambda proxy invoke assumed 15 ms',
    confidence: 'indirect',
  },
  StepFunctions: {
    ms: 10,
    source: 'StartSyncExecution of an Express workflow, its own overhead: no AWS figure; assumed',
    confidence: 'unchecked',
  },
  Lambda: {
    ms: 8,
    source: 'A task state invoking a warm Lambda function: no AWS figure; assumed',
    confidence: 'unchecked',
  },
  DynamoDB: {
    ms: 5,
    source:
      '"single-digit millisecond performance at any scale" (docs.aws.amazon.com/amazondynamodb/latest/developerguide/Introduction.html)',
    confidence: 'checked',
  },
  EventBridge: {
    ms: 15,
    source: 'PutEvents: no AWS figure; 10–30 ms commonly reported; assumed 15',
    confidence: 'unchecked',
  },
  KMS: {
    ms: 10,
    source: 'Sign with an ECC_NIST_P256 key: no AWS figure; assumed',
    confidence: 'unchecked',
  },
  SNS: { ms: 20, source: 'Publish (SMS): no AWS figure; assumed', confidence: 'unchecked' },
  SES: { ms: 20, source: 'SendEmail: no AWS figure; assumed', confidence: 'unchecked' },
};

/** Services whose requests contain others: their figure is their own overhead. */
export const CONTAINERS = new Set(['APIGateway', 'StepFunctions', 'Lambda']);

export interface Quota {
  readonly service: string;
  readonly quota: string;
  /** Requests (or units) per second the quota allows. */
  readonly perSecond: number;
  /** What one flow uses of it, named by the hop model's service and operations. */
  readonly counts: { readonly service: string; readonly operations?: readonly string[] };
  /** Units of the quota per counted request (write units per write, …), when not 1. */
  readonly unitsPerRequest?: 'dynamoWriteUnits';
  readonly source: string;
  readonly confidence: Confidence;
}

/** Default account quotas (us-east-1) that cap flows per second. */
export const QUOTAS: readonly Quota[] = [
  {
    service: 'API Gateway',
    quota: 'Throttle quota per account, per Region (10,000 rps, burst 5,000)',
    perSecond: 10_000,
    counts: { service: 'APIGateway' },
    source: 'docs.aws.amazon.com/apigateway/latest/developerguide/limits.html',
    confidence: 'checked',
  },
  {
    service: 'Lambda',
    quota: 'Concurrent executions (1,000) ÷ Lambda seconds per flow (from the estimates above)',
    perSecond: Number.NaN, // from concurrency and the measured duration: see `lambdaCeiling`
    counts: { service: 'Lambda' },
    source: 'docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html',
    confidence: 'checked',
  },
  {
    service: 'Step Functions',
    quota: 'StartSyncExecution: no fixed quota ("surges may be throttled")',
    perSecond: Number.POSITIVE_INFINITY,
    counts: { service: 'StepFunctions' },
    source: 'docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
    confidence: 'indirect',
  },
  {
    service: 'DynamoDB',
    quota: 'On-demand table-level write throughput (40,000 write units/s)',
    perSecond: 40_000,
    counts: { service: 'DynamoDB', operations: ['UpdateItemCommand', 'PutItemCommand'] },
    unitsPerRequest: 'dynamoWriteUnits',
    source: 'docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html',
    confidence: 'checked',
  },
  {
    service: 'EventBridge',
    quota: 'PutEvents throttle limit (10,000 tps in us-east-1; 400–2,400 elsewhere)',
    perSecond: 10_000,
    counts: { service: 'EventBridge' },
    source: 'docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html',
    confidence: 'indirect',
  },
  {
    service: 'KMS',
    quota: 'Cryptographic operations (ECC) request rate, shared (1,000/s; formerly 300)',
    perSecond: 1_000,
    counts: { service: 'KMS', operations: ['Sign'] },
    source: 'docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html',
    confidence: 'checked',
  },
  {
    service: 'SES',
    quota: 'Sending rate: 1/s in the sandbox; out of it granted per account (no default)',
    perSecond: 1,
    counts: { service: 'SES' },
    source: 'docs.aws.amazon.com/ses/latest/dg/quotas.html',
    confidence: 'checked',
  },
  {
    service: 'SNS (SMS)',
    quota: 'SMS per second: per origination number (US 10DLC 1, toll-free 3, short code 100)',
    perSecond: 1,
    counts: { service: 'SNS' },
    source: 'docs.aws.amazon.com/sms-voice/latest/userguide/sms-limitations-mps.html',
    confidence: 'checked',
  },
];

/** Lambda's default concurrency quota. */
export const LAMBDA_CONCURRENCY = 1_000;
