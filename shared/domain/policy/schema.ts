// zod/mini, as the request schemas: the same validators for a fraction of each bundle.
import * as z from 'zod/mini';
import { isCurrencyCode } from '../currency.js';
import { isCidr } from './cidr.js';
import { AMOUNT_PATTERN } from './money.js';
import { PolicyError } from './policy-error.js';

/**
 * The per-app policy document (API.md "Policy (per app)"). Every object is strict: an unknown
 * field is refused, because a typo (`"contry"`, `"lowvalue"`) must not silently weaken a rule.
 * Limits (100 rules, 250 countries, 100 CIDRs per rule) keep a document inside one item and
 * its evaluation cheap.
 *
 * Built on first use (`policySchema()`): zod builds a schema at some cost, and most functions
 * never parse a policy, so they do not pay for it at a cold start.
 */
const buildPolicySchema = () => {
  const amount = z
    .string()
    .check(z.regex(AMOUNT_PATTERN, 'must be a decimal string such as "250.00" (≤ 4 decimals)'));
  const currency = z
    .string()
    .check(z.refine(isCurrencyCode, 'must be an upper-case ISO 4217 currency code such as "EUR"'));
  const countries = z
    .array(z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as "GB"')))
    .check(z.minLength(1, 'must list at least one country'), z.maxLength(250));
  /** A risk score bound: the app's TRA score is 0–100 (API.md). */
  const score = z.number().check(z.gte(0, 'must be 0-100'), z.lte(100, 'must be 0-100'));
  const level = z.enum(['mfa', 'sca'], 'must be "mfa" or "sca"');

  /** An object whose members are all optional but of which at least `min` (and at most `max`) are given. */
  const someOf = <T extends z.core.$ZodLooseShape>(shape: T, keys: string, min = 1, max = 4) =>
    z.strictObject(shape).check(
      z.refine(
        (value) => {
          const count = Object.values(value).filter((v) => v !== undefined).length;
          return count >= min && count <= max;
        },
        `must give ${min === max ? 'exactly one' : 'at least one'} of ${keys}`,
      ),
    );

  const conditions = z.strictObject({
    country: z.optional(
      someOf({ in: z.optional(countries), notIn: z.optional(countries) }, 'in, notIn', 1, 1),
    ),
    ip: z.optional(
      z.strictObject({
        inCidr: z
          .array(
            z
              .string()
              .check(
                z.refine(
                  isCidr,
                  'must be an IPv4 or IPv6 CIDR with no host bits set, such as "10.0.0.0/8" or "2001:db8::/32"',
                ),
              ),
          )
          .check(z.minLength(1, 'must list at least one CIDR'), z.maxLength(100)),
      }),
    ),
    amount: z.optional(
      z
        .strictObject({
          gt: z.optional(amount),
          gte: z.optional(amount),
          lt: z.optional(amount),
          lte: z.optional(amount),
          currency,
        })
        .check(
          z.refine(
            (value) => [value.gt, value.gte, value.lt, value.lte].some((v) => v !== undefined),
            'must give at least one of gt, gte, lt, lte',
          ),
        ),
    ),
    riskScore: z.optional(someOf({ gt: z.optional(score), lte: z.optional(score) }, 'gt, lte')),
    deviceId: z.optional(z.strictObject({ remembered: z.literal(true, 'must be true') })),
    consentId: z.optional(z.strictObject({ present: z.literal(true, 'must be true') })),
  });

  const rule = z.strictObject({
    id: z
      .string()
      .check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -')),
    if: conditions,
    // biome-ignore lint/suspicious/noThenProperty: API.md names it; its value is never a function, so a rule is no thenable
    then: z.union(
      [z.literal('deny'), z.literal('exempt'), z.strictObject({ require: level })],
      'must be "deny", "exempt" or { "require": "mfa" | "sca" }',
    ),
  });

  const exemptions = z.strictObject({
    lowValue: z.optional(
      z.strictObject({
        currency,
        maxAmount: amount,
        maxCumulative: amount,
        maxCount: z.int().check(z.gte(1, 'must be 1-100'), z.lte(100, 'must be 1-100')),
      }),
    ),
    // A switch: `true` turns the exemption on; `false` is the same as leaving it out.
    trustedBeneficiaries: z.optional(z.boolean()),
    recurring: z.optional(z.boolean()),
    tra: z.optional(
      z.strictObject({
        maxAmount: amount,
        maxRiskScore: score,
        /** Absent: EUR, the currency of the RTS thresholds (Art. 18, Annex). */
        currency: z.optional(currency),
      }),
    ),
    rememberedDevice: z.optional(z.boolean()),
  });

  const httpsUrl = z.string().check(
    z.maxLength(2048),
    z.refine((text) => URL.canParse(text), 'must be an absolute URL'),
    z.refine(
      (text) => !URL.canParse(text) || new URL(text).protocol === 'https:',
      'must use https',
    ),
    z.refine((text) => {
      const url = URL.canParse(text) ? new URL(text) : undefined;
      return url === undefined || (url.username === '' && url.password === '');
    }, 'must not carry credentials'),
  );

  const policySchema = z
    .strictObject({
      version: z.literal(1, 'must be 1'),
      rules: z.array(rule).check(z.maxLength(100, 'must have at most 100 rules')),
      exemptions: z.optional(exemptions),
      default: z.optional(z.strictObject({ require: level })),
      emailIsPossession: z.optional(z.boolean()),
      rememberDevice: z.optional(
        z.strictObject({
          days: z.int().check(z.gte(1, 'must be 1-365'), z.lte(365, 'must be 1-365')),
        }),
      ),
      consentCheck: z.optional(z.strictObject({ url: httpsUrl })),
    })
    .check(
      z.superRefine((policy, context) => {
        const seen = new Set<string>();
        for (const [index, { id }] of policy.rules.entries()) {
          if (seen.has(id)) {
            context.addIssue({
              code: 'custom',
              message: 'duplicates an earlier rule id',
              path: ['rules', index, 'id'],
              input: id,
            });
          }
          seen.add(id);
        }
        // Devices are remembered only for `rememberDevice.days`: without it nothing could match.
        const needsDays = 'needs "rememberDevice": { "days": n }';
        if (policy.rememberDevice === undefined) {
          for (const [index, { if: when }] of policy.rules.entries()) {
            if (when.deviceId)
              context.addIssue({
                code: 'custom',
                message: needsDays,
                path: ['rules', index, 'if', 'deviceId'],
                input: when.deviceId,
              });
          }
          if (policy.exemptions?.rememberedDevice) {
            context.addIssue({
              code: 'custom',
              message: needsDays,
              path: ['exemptions', 'rememberedDevice'],
              input: true,
            });
          }
        }
      }),
    );
  return policySchema;
};

let built: ReturnType<typeof buildPolicySchema> | undefined;
/** The policy schema, built once. */
export const policySchema = () => {
  built ??= buildPolicySchema();
  return built;
};

export type Policy = z.infer<ReturnType<typeof buildPolicySchema>>;
export type PolicyRule = Policy['rules'][number];
export type PolicyConditions = PolicyRule['if'];
export type PolicyExemptions = NonNullable<Policy['exemptions']>;
export type Level = NonNullable<Policy['default']>['require'];

/**
 * A policy document, validated: the JSON text or the value it parses to. Throws a
 * `PolicyError` (code `invalid_policy`) naming the path of the first problem.
 *
 * @example
 * parsePolicy('{"version":1,"rules":[{"id":"x","if":{"contry":{"in":["KP"]}},"then":"deny"}]}');
 * // throws PolicyError: path "rules.0.if.contry", problem "is not a known field"
 */
export const parsePolicy = (input: unknown): Policy => {
  let document = input;
  if (typeof input === 'string') {
    try {
      document = JSON.parse(input);
    } catch {
      throw new PolicyError('(policy)', 'is not JSON');
    }
  }
  const result = policySchema().safeParse(document);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new PolicyError('(policy)', 'is not a policy');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) {
    return fail([...path, issue.keys[0]], 'is not a known field');
  }
  // zod/mini carries no locale: its own type messages say only "Invalid input".
  if (issue.code === 'invalid_type')
    return fail(path, `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`);
  return fail(path, issue.message);
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

const fail = (path: readonly string[], problem: string): never => {
  throw new PolicyError(path.length === 0 ? '(policy)' : path.join('.'), problem);
};
