import { App, Duration, Stack } from 'aws-cdk-lib';
import { LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { MfaAuthorizer } from 'step-up-mfa/constructs';

export const app = new App();
// The MFA service's issuer: its stack output ApiUrl without the trailing slash.
const issuer: string = app.node.tryGetContext('mfaIssuer') ?? 'https://mfa.example.com/live';
export const stack = new Stack(app, 'ProtectedApi');
const api = new RestApi(stack, 'PaymentsApi');
const payments = new LambdaFunction(stack, 'Payments', {
  runtime: Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: Code.fromInline('exports.handler = async () => ({ statusCode: 200, body: "paid" });'),
});
// Your app's client id at the MFA service: tokens the service issued to other apps are refused.
const audiences: string[] = [app.node.tryGetContext('mfaClientId') ?? 'payments-app'];
const jwksUrl = `${issuer}/.well-known/jwks.json`;
const mfa = new MfaAuthorizer(stack, 'Mfa', { issuer, jwksUrl, audiences });
mfa.addProtectedMethod(api.root.addResource('payments'), 'POST', new LambdaIntegration(payments), {
  maxAge: Duration.seconds(60), // POST /payments needs an MFA token from the last minute
});
mfa.addGatewayResponses(api); // refusals: 401 with WWW-Authenticate (RFC 6750 / RFC 9470)
