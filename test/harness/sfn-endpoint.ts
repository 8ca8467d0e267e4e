/**
 * A small Step Functions endpoint (no emulator serves it) over the service's own protocol, AWS JSON
 * 1.0 (`X-Amz-Target: AWSStepFunctions.<Action>`), so that the CLI's SDK client reaches it through
 * `AWS_ENDPOINT_URL_SFN`. It records what it is asked and answers from `state`, which a test sets.
 */
import { createServer } from 'node:http';
import { listenLocally } from './local-server';

export interface SfnState {
  status: string;
  /** The output of the state that carries a round's results (`NextRound…`), if any. */
  carried?: Record<string, unknown>;
  mapRun?: { total: number; succeeded: number; failed: number; running: number; pending: number };
}

export interface SfnEndpoint {
  readonly url: string;
  readonly calls: { action: string; input: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startSfnEndpoint(state: SfnState): Promise<SfnEndpoint> {
  const calls: { action: string; input: Record<string, unknown> }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const action =
        String(request.headers['x-amz-target'] ?? '')
          .split('.')
          .pop() ?? '';
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      calls.push({ action, input });
      const now = Date.now() / 1000;
      const execution = 'arn:aws:states:us-east-1:999999999999:execution:Backfill:backfill-1';
      const answers: Record<string, unknown> = {
        StartExecution: { executionArn: execution, startDate: now },
        DescribeExecution: {
          executionArn: input.executionArn,
          stateMachineArn: 'arn:aws:states:us-east-1:999999999999:stateMachine:Backfill',
          status: state.status,
          startDate: now - 60,
          ...(state.status === 'RUNNING' ? {} : { stopDate: now }),
          ...(state.status === 'FAILED'
            ? { error: 'States.ExceedToleratedFailureThreshold', cause: 'too many failed batches' }
            : {}),
        },
        ListMapRuns: {
          mapRuns:
            state.mapRun === undefined
              ? []
              : [
                  {
                    executionArn: input.executionArn,
                    mapRunArn: `${String(input.executionArn)}:map`,
                    stateMachineArn: 'x',
                    startDate: now - 50,
                  },
                ],
        },
        DescribeMapRun: {
          mapRunArn: input.mapRunArn,
          executionArn: execution,
          status: 'RUNNING',
          startDate: now - 50,
          maxConcurrency: 100,
          toleratedFailurePercentage: 5,
          toleratedFailureCount: 0,
          itemCounts: { ...state.mapRun, timedOut: 0, aborted: 0, resultsWritten: 0 },
          executionCounts: {
            pending: 0,
            running: 0,
            succeeded: 0,
            failed: 0,
            timedOut: 0,
            aborted: 0,
            total: 0,
            resultsWritten: 0,
          },
        },
        GetExecutionHistory: {
          events:
            state.carried === undefined
              ? []
              : [
                  {
                    timestamp: now,
                    type: 'PassStateExited',
                    id: 20,
                    stateExitedEventDetails: {
                      name: 'NextRoundAfterListed',
                      output: JSON.stringify(state.carried),
                    },
                  },
                ],
        },
        RedriveExecution: { redriveDate: now },
      };
      if (!(action in answers)) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: action }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(answers[action]));
    });
  });
  return { ...(await listenLocally(server)), calls };
}
