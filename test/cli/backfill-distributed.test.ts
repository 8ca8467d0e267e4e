/**
 * `trail-index backfill --distributed` through the real launcher, as a user runs it: the dry run
 * counts the range in the bucket (fauxqs) and estimates; a start, `--status` and `--redrive` talk to
 * Step Functions (a local endpoint speaking its protocol) through `AWS_ENDPOINT_URL_SFN`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK_OUTPUT } from '../../lambdas/shared/config';
import { digestFileKey, glacierRecord, logFileBody, logFileKey } from '../harness/factories';
import { startCloudFormation } from '../harness/cloudformation-endpoint';
import { createTestPipeline, putObject, type TestPipeline } from '../harness/pipeline';
import { type SfnEndpoint, type SfnState, startSfnEndpoint } from '../harness/sfn-endpoint';
import { runCli, STACK_FRAME } from './run-cli';

const STACK = 'TrailIndexDistributed';
const MACHINE = 'arn:aws:states:us-east-1:999999999999:stateMachine:Backfill';
let p: TestPipeline;
let cloudFormation: Awaited<ReturnType<typeof startCloudFormation>>;
let sfn: SfnEndpoint;
const state: SfnState = { status: 'SUCCEEDED' };
let cwd: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  p = await createTestPipeline();
  cloudFormation = await startCloudFormation(STACK, {
    [STACK_OUTPUT.logBucketName]: p.bucket,
    [STACK_OUTPUT.tableName]: p.tableName,
    [STACK_OUTPUT.alertTopicArn]: p.alertTopicArn,
    [STACK_OUTPUT.backfillStateMachineArn]: MACHINE,
    [STACK_OUTPUT.backfillMaxConcurrency]: '100',
  });
  sfn = await startSfnEndpoint(state);
  for (const day of ['2019-03-01', '2019-03-02', '2019-04-10']) {
    const at = new Date(`${day}T09:00:00Z`);
    await putObject(p, logFileKey({ at }), logFileBody([glacierRecord('DescribeVault')]));
    await putObject(p, digestFileKey({ at }), logFileBody([]));
  }
  env = { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url, AWS_ENDPOINT_URL_SFN: sfn.url };
  cwd = mkdtempSync(join(tmpdir(), 'trail-index-distributed-'));
});

afterAll(async () => {
  await new Promise<void>((resolve) => cloudFormation.server.close(() => resolve()));
  await sfn.close();
  rmSync(cwd, { recursive: true, force: true });
  p.close();
});

test('--dry-run counts the log files of the range by storage class, estimates, and starts nothing', async () => {
  // Act
  const run = await runCli(
    [
      'backfill',
      '--stack',
      STACK,
      '--distributed',
      '--since',
      '2019-03-01',
      '--until',
      '2019-03-31',
      '--dry-run',
      '--no-progress',
    ],
    env,
    cwd,
  );

  // Assess
  expect(run.stderr).not.toMatch(STACK_FRAME);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^Log files in range: 2 \(0\.00 GB\)$/m);
  expect(run.stdout).toMatch(/^ {2}STANDARD +2 {2}0\.00 GB$/m);
  expect(run.stdout).toContain('Archived, to restore first (Bulk tier): 0');
  expect(run.stdout).toMatch(/^Estimated cost: \$0\.00$/m);
  expect(run.stdout).toContain('Nothing was started.');
  expect(sfn.calls).toEqual([]);
});

test('a start sends the range and options, follows the execution to its end, and --status shows it again', async () => {
  // Prepare
  state.status = 'SUCCEEDED';
  state.carried = { round: 2, pending: 0, totals: { indexed: 2, skipped: 2, 'out-of-range': 1 } };
  state.mapRun = { total: 1, succeeded: 1, failed: 0, running: 0, pending: 0 };

  // Act
  const started = await runCli(
    [
      'backfill',
      '--stack',
      STACK,
      '--distributed',
      '--since',
      '2019-03-01',
      '--until',
      '2019-03-31',
      '--restore-tier',
      'Standard',
      '--max-concurrency',
      '20',
      '--no-progress',
    ],
    env,
    cwd,
  );
  const status = await runCli(['backfill', '--stack', STACK, '--status'], env, cwd);

  // Assess
  expect(started.code).toBe(0);
  const start = sfn.calls.find((c) => c.action === 'StartExecution');
  expect(start?.input.stateMachineArn).toBe(MACHINE);
  expect(JSON.parse(String(start?.input.input))).toEqual({
    bucket: p.bucket,
    prefix: 'AWSLogs/',
    since: '2019-03-01T00:00:00.000Z',
    until: '2019-03-31T23:59:59.000Z',
    alerts: false,
    restoreTier: 'Standard',
    restoreDays: 3,
    maxConcurrency: 20,
  });
  expect(started.stdout).toContain('Status:    SUCCEEDED');
  expect(started.stdout).toContain('Log files: 2 indexed, 2 skipped, 1 out of range, 0 failed, 0 restoring');
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(
    'Execution: arn:aws:states:us-east-1:999999999999:execution:Backfill:backfill-1',
  );
});

test('an execution that failed says so, and --redrive reruns its failed batches', async () => {
  // Prepare
  state.status = 'FAILED';
  state.carried = { round: 1, pending: 3, totals: { indexed: 10, failed: 400, 'failed-batches': 2 } };

  // Act
  const status = await runCli(['backfill', '--stack', STACK, '--attach', '--no-progress'], env, cwd);
  state.status = 'SUCCEEDED';
  const redriven = await runCli(['backfill', '--stack', STACK, '--redrive', '--no-progress'], env, cwd);

  // Assess
  expect(status.code).toBe(1);
  expect(status.stderr).toContain(
    'the backfill failed; trail-index backfill --stack --redrive reruns its failed batches',
  );
  expect(status.stdout).toContain('3 restoring');
  expect(redriven.code).toBe(0);
  expect(sfn.calls.filter((c) => c.action === 'RedriveExecution').map((c) => c.input.executionArn)).toEqual([
    'arn:aws:states:us-east-1:999999999999:execution:Backfill:backfill-1',
  ]);
});

test('--distributed needs a stack and a start', async () => {
  const noSince = await runCli(['backfill', '--stack', STACK, '--distributed'], env, cwd);
  expect(noSince.code).not.toBe(0);
  expect(noSince.stderr).toContain('--distributed needs --since');
});
