import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { MAX_BODY_BYTES } from '../shared/http/json-body.js';

export interface MfaWebAclProps {
  /** Requests one IP address may make in 5 minutes before it is blocked (429). @default 1000 */
  readonly rateLimitPer5Minutes?: number;
}

const visibility = (metricName: string) => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: false,
});

/**
 * A regional WAF web ACL for the API: bodies over the contract's 16 KiB limit are refused
 * at the edge with the contract's 413 problem document, one IP is rate limited, and the AWS
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
        {
          name: 'RateLimitPerIp',
          priority: 1,
          statement: {
            rateBasedStatement: {
              limit: props.rateLimitPer5Minutes ?? 1000,
              aggregateKeyType: 'IP',
            },
          },
          action: { block: { customResponse: { responseCode: 429 } } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        ...['AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList'].map(
          (name, index) => ({
            name,
            priority: 2 + index,
            statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
            overrideAction: { none: {} },
            visibilityConfig: visibility(name),
          }),
        ),
      ],
    });
  }
}
