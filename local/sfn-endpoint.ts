import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './loopback.js';
import { onBody } from './request-body.js';

/** StartSyncExecution's answer (the JSON protocol's members the SDK reads). */
export type SyncExecution =
  | { readonly status: 'SUCCEEDED'; readonly output: string }
  | { readonly status: 'FAILED'; readonly error: string };

/** A request body of at most this size (Step Functions' own input limit). */
const MAX_REQUEST_BYTES = 256 * 1024;

const problem = (type: string, message: string) => JSON.stringify({ __type: type, message });

/**
 * A local endpoint speaking the Step Functions JSON 1.0 protocol for the one call the
 * functions make, `StartSyncExecution` of `MfaFlow`, so they run the production adapter
 * (`createSfnWorkflow`, the real `@aws-sdk/client-sfn`) against it; the execution itself is
 * the synthesized ASL run by aws-local-stepfunctions (`execute`). Any other call or state
 * machine is refused as AWS would, never passed on.
 */
export const startStepFunctionsEndpoint = async (props: {
  readonly stateMachineArn: string;
  readonly execute: (input: unknown) => Promise<SyncExecution>;
}): Promise<{ url: string; server: Server }> => {
  const server = createServer((req, res) => {
    onBody(req, MAX_REQUEST_BYTES, (text) => {
      const answer = (status: number, body: string) =>
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(body);
      if (req.headers['x-amz-target'] !== 'AWSStepFunctions.StartSyncExecution') {
        answer(400, problem('UnknownOperationException', 'Only StartSyncExecution is served'));
        return;
      }
      let body: { stateMachineArn?: unknown; name?: unknown; input?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        answer(400, problem('SerializationException', 'The body is not JSON'));
        return;
      }
      if (body.stateMachineArn !== props.stateMachineArn) {
        answer(400, problem('StateMachineDoesNotExist', 'No such state machine'));
        return;
      }
      let input: unknown;
      try {
        input = JSON.parse(typeof body.input === 'string' ? body.input : '{}');
      } catch {
        answer(400, problem('InvalidExecutionInput', 'The input is not JSON'));
        return;
      }
      const name = typeof body.name === 'string' ? body.name : randomUUID();
      const startDate = Date.now() / 1000;
      props.execute(input).then(
        (execution) =>
          answer(
            200,
            JSON.stringify({
              executionArn: `${props.stateMachineArn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`,
              stateMachineArn: props.stateMachineArn,
              name,
              startDate,
              stopDate: Date.now() / 1000,
              ...execution,
            }),
          ),
        () => answer(500, problem('InternalServerError', 'The local workflow failed')),
      );
    });
  });
  return listenOnLoopback(server);
};
