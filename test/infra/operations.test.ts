import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/mfa-function.js';
import { LOG_SIGNALS } from '../../infra/mfa-operations.js';
import { ACCESS_LOG_FIELDS } from '../../infra/mfa-service.js';
import {
  logGroupOf as functionLogGroup,
  handlerResources,
  ofType,
  type Resources,
  single,
  statementsOf,
  synthStack,
} from '../support/synth.js';

let template: ReturnType<typeof synthStack>['template'];
let resources: Resources;

beforeAll(() => {
  template = synthStack().template;
  resources = template.toJSON().Resources as Resources;
});

const topicId = () => {
  return single(ofType(resources, 'AWS::SNS::Topic'), 'topic')[0];
};

describe('alarms', () => {
  const alarms = () => ofType(resources, 'AWS::CloudWatch::Alarm');

  it('watch API 5xx, delivery failures, lockouts, workflow failures and throttles', () => {
    const ids = alarms().map(([id]) => id);
    for (const name of [
      'Api5xx',
      'DeliveryFailures',
      'LockoutSpike',
      'WorkflowFailures',
      'WorkflowThrottled',
      'LambdaThrottles1',
    ]) {
      expect(
        ids.some((id) => id.startsWith(`ServiceOperations${name}`)),
        name,
      ).toBe(true);
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Namespace: 'AWS/ApiGateway',
      Threshold: 5,
    });
  });

  it('all notify the ops topic, on alarm and on recovery', () => {
    const topic = topicId();
    expect(alarms().length).toBeGreaterThanOrEqual(8);
    for (const [id, alarm] of alarms()) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions, id).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.TreatMissingData, id).toBe('notBreaching');
    }
  });

  it('cover the throttles of every function, at most ten metrics per alarm', () => {
    const throttled = alarms()
      .filter(([id]) => id.includes('LambdaThrottles'))
      .flatMap(([, alarm]) => alarm.Properties.Metrics as { MetricStat?: { Metric: unknown } }[])
      .filter((query) => query.MetricStat)
      .map((query) => JSON.stringify(query.MetricStat?.Metric));
    expect(throttled).toHaveLength(ofType(resources, 'AWS::Lambda::Function').length);
    for (const [, alarm] of alarms()) {
      expect((alarm.Properties.Metrics as unknown[] | undefined)?.length ?? 1).toBeLessThanOrEqual(
        11,
      );
    }
  });

  it('count delivery failures and lockouts from the structured logs of the right functions', () => {
    const filters = ofType(resources, 'AWS::Logs::MetricFilter').map(([, filter]) => ({
      logGroup: (filter.Properties.LogGroupName as { Ref: string }).Ref,
      pattern: filter.Properties.FilterPattern as string,
      metric: (filter.Properties.MetricTransformations as { MetricName: string }[])[0]?.MetricName,
    }));
    const handlers = handlerResources(resources);
    const logGroupOf = (handler: string) =>
      functionLogGroup(resources, handlers.get(handler)?.functionId ?? '');
    expect(filters).toEqual(
      expect.arrayContaining([
        {
          logGroup: logGroupOf('flow-undo-challenge'),
          pattern: '{ $.message = "delivery failed; send taken back" }',
          metric: 'DeliveryFailures',
        },
        {
          logGroup: logGroupOf('factors-enroll'),
          pattern: '{ $.message = "activation delivery failed" }',
          metric: 'DeliveryFailures',
        },
        {
          logGroup: logGroupOf('authn-verify'),
          pattern: '{ ($.message = "request") && ($.code = "locked_out") }',
          metric: 'LockedOutResponses',
        },
        {
          logGroup: logGroupOf('flow-verify'),
          pattern: '{ $.message = "factor locked" }',
          metric: 'FactorLocks',
        },
      ]),
    );
  });

  /** The metric filters of these metrics, and the log groups of these handlers they must read. */
  const metricFilters = (metrics: readonly string[], handlers: readonly string[]) => {
    const byHandler = handlerResources(resources);
    const filters = ofType(resources, 'AWS::Logs::MetricFilter')
      .map(([, filter]) => filter.Properties)
      .filter((p) =>
        metrics.includes(
          (p.MetricTransformations as { MetricName: string }[])[0]?.MetricName ?? '',
        ),
      );
    expect(new Set(filters.map((p) => (p.LogGroupName as { Ref: string }).Ref))).toEqual(
      new Set(
        handlers.map((handler) =>
          functionLogGroup(resources, byHandler.get(handler)?.functionId ?? ''),
        ),
      ),
    );
    return filters;
  };

  it('count every SMS sent (challenges and activation codes), in total and per app, and alarm on the hourly total', () => {
    const sms = metricFilters(
      ['SmsSent', 'SmsSentByApp'],
      ['flow-challenge', 'factors-enroll', 'factors-resend'],
    );
    expect(sms).toHaveLength(6);
    for (const filter of sms) {
      expect(filter.FilterPattern).toContain('($.factorType = "sms")');
      const [transform] = filter.MetricTransformations as {
        MetricName: string;
        Dimensions?: { Key: string; Value: string }[];
      }[];
      if (transform?.MetricName === 'SmsSentByApp') {
        expect(transform.Dimensions).toEqual([{ Key: 'clientId', Value: '$.clientId' }]);
      }
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'SmsSent',
      Period: 3600,
      Statistic: 'Sum',
      Threshold: 500,
    });
  });

  it('count activation emails refused by the app cap in the enroll and resend functions, and alarm on one', () => {
    const filters = metricFilters(
      ['EmailActivationBudgetExceeded', 'EmailActivationBudgetExceededByApp'],
      ['factors-enroll', 'factors-resend'],
    );
    expect(filters).toHaveLength(4);
    for (const filter of filters) {
      expect(filter.FilterPattern).toBe('{ $.message = "email activation budget exceeded" }');
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EmailActivationBudgetExceeded',
      Threshold: 1,
    });
  });

  it('count log lines the code still writes (a reworded message would silence an alarm)', () => {
    const sources = ['shared/use-cases', 'shared/http']
      .flatMap((dir) =>
        readdirSync(path.join(PROJECT_ROOT, dir)).map((file) => path.join(PROJECT_ROOT, dir, file)),
      )
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
    for (const signal of Object.values(LOG_SIGNALS)) {
      expect(sources).toContain(`'${signal.message}'`);
    }
    expect(sources).toContain("'locked_out'");
  });

  it('send to an encrypted topic that refuses plain HTTP and lets CloudWatch publish', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
    });
    const [, policy] = single(ofType(resources, 'AWS::SNS::TopicPolicy'), 'AWS::SNS::TopicPolicy');
    const statements = statementsOf(policy.Properties.PolicyDocument);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['sns:Publish'],
        }),
      ]),
    );
  });

  it('use a given topic and subscribe given addresses', () => {
    const { template: withEmail } = synthStack({ alarmEmails: ['ops@example.com'] });
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('come with a dashboard', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [, dashboard] = single(
      ofType(resources, 'AWS::CloudWatch::Dashboard'),
      'AWS::CloudWatch::Dashboard',
    );
    expect(dashboard.Properties).not.toHaveProperty('DashboardName');
    // SMS per app: a search over the per-app metric, so a new app shows up by itself.
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    expect(body).toContain('SEARCH(');
    expect(body).toContain('SmsSentByApp');
  });
});

describe('REST API', () => {
  const stage = () => {
    return single(ofType(resources, 'AWS::ApiGateway::Stage'), 'stage')[1].Properties;
  };

  it('throttles the stage (100 rps, burst 200 by default; props change it)', () => {
    expect(stage().MethodSettings).toEqual([
      expect.objectContaining({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }),
    ]);
    synthStack({ throttle: { rateLimit: 7, burstLimit: 9 } }).template.hasResourceProperties(
      'AWS::ApiGateway::Stage',
      {
        MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 })],
      },
    );
  });

  it('logs errors and access without any request data', () => {
    expect(stage().MethodSettings).toEqual([
      expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false }),
    ]);
    // X-Ray would record the URL, user ids and all: the functions are traced instead.
    expect(stage().TracingEnabled).toBe(false);
    const format = (stage().AccessLogSetting as { Format: string }).Format;
    expect(JSON.parse(format)).toEqual(ACCESS_LOG_FIELDS);
    expect(format).toContain('$context.requestId');
    expect(format).toContain('$context.resourcePath');
    // The path holds user ids; headers, bodies, query strings and identities hold secrets.
    for (const forbidden of [
      '$context.path',
      '$input',
      '$method.request',
      'header',
      'querystring',
      '$context.authorizer.principalId',
      '$context.authorizer.sub',
      '$context.authorizer.claims',
      '$context.identity.user',
      '$context.identity.caller',
      '$context.identity.apiKey',
      '$context.requestOverride',
    ]) {
      expect(format.toLowerCase()).not.toContain(forbidden.toLowerCase());
    }
  });

  it('has no CORS unless configured', () => {
    const methods = ofType(resources, 'AWS::ApiGateway::Method');
    expect(methods.filter(([, m]) => m.Properties.HttpMethod === 'OPTIONS')).toEqual([]);
    const withCors = synthStack({ cors: { allowOrigins: ['https://app.example.com'] } }).template;
    withCors.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'OPTIONS' });
  });

  it('has no web ACL unless asked; with one, it blocks bodies over 16 KiB with a 413', () => {
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    const created = synthStack({ createWebAcl: true }).template;
    created.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    created.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'BodySizeLimit',
          Statement: {
            SizeConstraintStatement: Match.objectLike({ ComparisonOperator: 'GT', Size: 16384 }),
          },
          Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 413 }) } },
        }),
      ]),
      VisibilityConfig: Match.objectLike({ SampledRequestsEnabled: false }),
    });
    const arn = 'arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/mfa/1';
    const existing = synthStack({ webAclArn: arn }).template;
    existing.resourceCountIs('AWS::WAFv2::WebACL', 0);
    existing.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
  });
});

describe('Lambda defaults', () => {
  it('give every function its own log group with retention (a prop)', () => {
    const groups = new Map(ofType(resources, 'AWS::Logs::LogGroup'));
    for (const [id] of ofType(resources, 'AWS::Lambda::Function')) {
      const group = functionLogGroup(resources, id);
      expect(groups.get(group)?.Properties.RetentionInDays, id).toBe(90);
    }
    const year = synthStack({ logRetention: RetentionDays.ONE_YEAR }).template.toJSON()
      .Resources as Resources;
    for (const [id] of ofType(year, 'AWS::Lambda::Function')) {
      expect(year[functionLogGroup(year, id)]?.Properties.RetentionInDays, id).toBe(365);
    }
    // Every other log group too (API access, workflow), but the audit log (auditRetention).
    for (const [id, group] of ofType(year, 'AWS::Logs::LogGroup')) {
      const days = id.startsWith('DataAuditLog') ? 1827 : 365;
      expect(group.Properties.RetentionInDays, id).toBe(days);
    }
  });

  it('take reserved and provisioned concurrency as props; callers invoke the alias', () => {
    const { template: tuned } = synthStack({
      functionConcurrency: {
        'authn-verify': { reserved: 20, provisioned: 2 },
        'flow-verify': { provisioned: 1 },
      },
    });
    const tunedResources = tuned.toJSON().Resources as Resources;
    const verify = handlerResources(tunedResources).get('authn-verify');
    expect(tunedResources[verify?.functionId ?? '']?.Properties.ReservedConcurrentExecutions).toBe(
      20,
    );
    const aliases = ofType(tunedResources, 'AWS::Lambda::Alias');
    expect(aliases.map(([, a]) => a.Properties.ProvisionedConcurrencyConfig).sort()).toEqual([
      { ProvisionedConcurrentExecutions: 1 },
      { ProvisionedConcurrentExecutions: 2 },
    ]);
    const aliasOf = (name: string) => aliases.map(([id]) => id).find((id) => id.includes(name));
    // API Gateway and the workflow call the alias, so the provisioned environments serve them.
    const invokedByApi = ofType(tunedResources, 'AWS::Lambda::Permission').map(
      ([, p]) => (p.Properties.FunctionName as { Ref?: string }).Ref,
    );
    expect(invokedByApi).toContain(aliasOf('Routeauthnverify'));
    const [, machine] = single(
      ofType(tunedResources, 'AWS::StepFunctions::StateMachine'),
      'AWS::StepFunctions::StateMachine',
    );
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain(aliasOf('FlowVerify'));
    expect(() => synthStack({ tokenTtl: Duration.hours(2) })).toThrow('tokenTtl');
  });

  it.each([
    [
      { emailSender: 'not an address' },
      'MfaService: emailSender: Invalid configuration: EMAIL_SENDER must be an email address',
    ],
    [
      { issuerName: '\u202eMFA' },
      'MfaService: issuerName: Invalid configuration: MFA_ISSUER_NAME must be text',
    ],
    [
      { smsSenderId: 'TOO-LONG-SENDER' },
      'MfaService: smsSenderId: Invalid configuration: SMS_SENDER_ID must be text matching',
    ],
  ])(
    'refuses a text prop outside its setting at synth (%o), not at every cold start',
    (props, message) => {
      expect(() => synthStack(props)).toThrow(message);
    },
  );
});
