import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MAX_BODY_BYTES } from '../shared/http/json-body.js';

const visibility = (metricName: string) => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: false,
});

export interface MfaWebAclProps {
  /**
   * Requests without HTTP Basic credentials (health, JWKS and discovery, the demo page, the API
   * description, junk) one IP address may make in 5 minutes before it is blocked (429).
   * @default 1000
   */
  readonly rateLimitPer5Minutes?: number;
  /**
   * Requests with an `Authorization: Basic` header (the apps' `/v1` calls) one IP address may
   * make in 5 minutes before it is blocked (429). Apps call server to server, often through a
   * few NAT addresses, so a busy app must pass: 15,000 is 50 requests/s, about 16 flows/s from
   * one address. WAF cannot check the credentials: an attacker who adds a junk `Basic` header
   * gets this limit too, so it stays half the stage's default steady rate (100 requests/s per
   * method, `MfaServiceProps.throttle`): one address cannot take a method's whole rate. Raise
   * both together for more.
   * @default 15000
   */
  readonly appRateLimitPer5Minutes?: number;
}

/**
 * Matches a request whose `Authorization` header uses the Basic scheme, in any case as the
 * handlers accept it (auth schemes are case-insensitive).
 */
const BASIC_AUTHORIZATION = {
  byteMatchStatement: {
    // `singleHeader` is untyped in CDK and goes to CloudFormation as written: `Name`, not `name`.
    fieldToMatch: { singleHeader: { Name: 'authorization' } },
    positionalConstraint: 'STARTS_WITH',
    searchString: 'basic ',
    textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
  },
};

/** Blocks (429) an IP address past `limit` requests in 5 minutes among those the scope matches. */
const ratePerIp = (
  name: string,
  priority: number,
  limit: number,
  scopeDownStatement: CfnWebACL.StatementProperty,
): CfnWebACL.RuleProperty => ({
  name,
  priority,
  statement: { rateBasedStatement: { limit, aggregateKeyType: 'IP', scopeDownStatement } },
  action: {
    block: { customResponse: { responseCode: 429, customResponseBodyKey: 'RateLimited' } },
  },
  visibilityConfig: visibility(name),
});

/**
 * A regional WAF web ACL for the API: bodies over the contract's 16 KiB limit are refused
 * at the edge with the contract's 413 problem document, one IP is rate limited (anonymous
 * requests and apps' Basic-authenticated ones apart, each with its own limit), and the AWS
 * managed known-bad-inputs and IP-reputation rules run. (The common rule set is left out: its
 * 8 KB body rule would refuse bodies the contract accepts.) Sampled requests are off, so no
 * request (which can hold a pass code) is kept by WAF.
 */
export class MfaWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: MfaWebAclProps = {}) {
    super(scope, id);
    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('MfaWebAcl'),
      // Inspect the whole allowed body: beyond the inspection limit WAF sees only a prefix.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_16' } } },
      customResponseBodies: {
        PayloadTooLarge: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Payload too large',
            status: 413,
            code: 'payload_too_large',
            detail: `The body must be at most ${MAX_BODY_BYTES} bytes`,
          }),
        },
        // The contract's answer to too many requests, as the stage's own throttling gives it.
        RateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too many requests',
            status: 429,
            code: 'rate_limited',
            detail: 'Too many requests from this address: slow down and try again later',
          }),
        },
      },
      rules: [
        {
          name: 'BodySizeLimit',
          priority: 0,
          statement: {
            sizeConstraintStatement: {
              fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
              comparisonOperator: 'GT',
              size: MAX_BODY_BYTES,
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          action: {
            block: {
              customResponse: { responseCode: 413, customResponseBodyKey: 'PayloadTooLarge' },
            },
          },
          visibilityConfig: visibility('BodySizeLimit'),
        },
        ratePerIp('RateLimitPerIp', 1, props.rateLimitPer5Minutes ?? 1000, {
          notStatement: { statement: BASIC_AUTHORIZATION },
        }),
        ratePerIp(
          'AppRateLimitPerIp',
          2,
          props.appRateLimitPer5Minutes ?? 15_000,
          BASIC_AUTHORIZATION,
        ),
        ...['AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'].map(
          (name, index) => ({
            name,
            priority: 3 + index,
            statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
            overrideAction: { none: {} },
            visibilityConfig: visibility(name),
          }),
        ),
      ],
    });
  }
}
