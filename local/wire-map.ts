/**
 * What serves each AWS API the service calls, on the local runtime: one place, read by the
 * wire-map test (every action the synthesized template's roles allow must be here) and by
 * `npm run wire-map` (the README's table).
 */
export const LOCAL_WIRE: Readonly<Record<string, string>> = {
  'dynamodb:GetItem': 'embedded DynamoDB (dynalite), real SDK',
  'dynamodb:PutItem': 'embedded DynamoDB (dynalite), real SDK',
  'dynamodb:UpdateItem': 'embedded DynamoDB (dynalite), real SDK',
  'states:StartSyncExecution': 'Step Functions endpoint (local/sfn-endpoint.ts), real SDK',
  'lambda:InvokeFunction': 'the workflow runner (aws-local-stepfunctions) calling the handler',
  'events:PutEvents': 'messaging endpoint (local/outbox.ts), real SDK',
  'sns:Publish': 'messaging endpoint (local/outbox.ts), real SDK',
  'ses:SendEmail': 'messaging endpoint (local/outbox.ts), real SDK',
  'kms:GenerateDataKey': 'KMS endpoint (local/kms-endpoint.ts), real SDK',
  'kms:Decrypt': 'KMS endpoint (local/kms-endpoint.ts), real SDK †',
  'kms:Sign': 'KMS endpoint (local/kms-endpoint.ts); the runtime signs with its key file *',
  'kms:GetPublicKey': 'KMS endpoint (local/kms-endpoint.ts); the runtime signs with its key file *',
  'secretsmanager:GetSecretValue': 'Secrets Manager endpoint (local/secrets-endpoint.ts), real SDK',
};

/** Written by the Lambda and Step Functions platform, not by the service's code. */
export const PLATFORM_ACTION = /^(logs|xray):/;

/** The action as IAM spells it in the template (state machine integrations use lower case). */
export const wireAction = (action: string) => {
  const [service, name = ''] = action.split(':');
  return `${service}:${name.charAt(0).toUpperCase()}${name.slice(1)}`;
};
