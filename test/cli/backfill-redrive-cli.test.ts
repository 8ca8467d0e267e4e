/**
 * `backfill` and `redrive` through the real `trail-index` launcher in a child process, finding the
 * deployment with `--stack` as a user would: CloudFormation's DescribeStacks is answered by a small
 * stand-in on loopback (reached through the SDK's standard `AWS_ENDPOINT_URL_CLOUDFORMATION`), the
 * bucket, queues and table are fauxqs and dynalite.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { STACK_OUTPUT } from '../../lambdas/shared/config';
import {
  cloudTrailMessage,
  digestFileKey,
  glacierRecord,
  logFileBody,
  logFileKey,
  snsEnvelope,
  snsEvent,
} from '../harness/factories';
import { createTestPipeline, getEvent, putObject, receiveAlerts, TestPipeline } from '../harness/pipeline';
import { runCli, STACK_FRAME } from './run-cli';
import { startCloudFormation } from '../harness/cloudformation-endpoint';

const STACK = 'TrailIndexTest';

let p: TestPipeline;
let cloudFormation: { url: string; server: Server };
let failureQueue: string;
let deadLetterQueue: string;
let cwd: string;
let env: NodeJS.ProcessEnv;
const good: { key: string; eventID: string }[] = [];
let brokenKey: string;

async function createQueue(name: string): Promise<string> {
  const { QueueUrl } = await p.sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-${randomUUID().slice(0, 8)}` }),
  );
  if (QueueUrl === undefined) throw new Error('CreateQueue returned no URL');
  return QueueUrl;
}

beforeAll(async () => {
  p = await createTestPipeline();
  failureQueue = await createQueue('failure-destination');
  deadLetterQueue = await createQueue('subscription-dlq');
  cloudFormation = await startCloudFormation(STACK, {
    [STACK_OUTPUT.logBucketName]: p.bucket,
    [STACK_OUTPUT.tableName]: p.tableName,
    [STACK_OUTPUT.alertTopicArn]: p.alertTopicArn,
    [STACK_OUTPUT.failureDestinationQueueUrl]: failureQueue,
    [STACK_OUTPUT.subscriptionDlqUrl]: deadLetterQueue,
    [STACK_OUTPUT.indexedSources]: 'glacier.amazonaws.com',
    [STACK_OUTPUT.indexRetentionDays]: '30',
  });
  for (const day of ['2026-11-18', '2026-11-19']) {
    const at = new Date(`${day}T09:00:00Z`);
    const record = glacierRecord('DescribeVault');
    const key = logFileKey({ at });
    await putObject(p, key, logFileBody([record]));
    await putObject(p, digestFileKey({ at }), logFileBody([]));
    good.push({ key, eventID: String(record.eventID) });
  }
  brokenKey = logFileKey({ at: new Date('2026-11-19T09:30:00Z') });
  await putObject(p, brokenKey, 'this is not gzip');
  env = { AWS_ENDPOINT_URL_CLOUDFORMATION: cloudFormation.url };
});

afterAll(async () => {
  await new Promise<void>((resolve) => cloudFormation.server.close(() => resolve()));
  p.close();
});

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'trail-index-cli-'));
});

afterEach(async () => {
  rmSync(cwd, { recursive: true, force: true });
  await receiveAlerts(p, 0);
});

describe('trail-index backfill', () => {
  it('--dry-run counts the files and bytes of the stack bucket and exits 0', async () => {
    // Act
    const result = await runCli(
      ['backfill', '--stack', STACK, '--dry-run', '--since', '2026-11-19'],
      env,
      cwd,
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Dry run: would backfill s3://${p.bucket}/AWSLogs/ from 2026-11-19`);
    expect(result.stdout).toMatch(/^Listed: +2 log files, \d+ B \(1 account, 1 region\)$/m);
    expect(result.stdout).toMatch(/^To process: +2 files/m);
    expect(await getEvent(p, good[1]?.eventID ?? '')).toBeUndefined();
  });

  it('indexes the stack bucket, reports the broken file with exit code 1, and resumes from its checkpoint', async () => {
    // Act
    const first = await runCli(['backfill', '--stack', STACK, '--no-progress'], env, cwd);
    const second = await runCli(['backfill', '--stack', STACK, '--no-progress'], env, cwd);

    // Assess
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/^Processed: +3 files, .*: 2 indexed, 0 skipped, 1 failed$/m);
    expect(first.stdout).toMatch(new RegExp(`^  invalid-json  ${brokenKey}$`, 'm'));
    expect(first.stderr).toContain('error: 1 log file failed (listed above); run again to retry them');
    expect(first.stderr).not.toMatch(STACK_FRAME);
    for (const { eventID } of good) {
      const item = await getEvent(p, eventID);
      // The stack's IndexRetentionDays output (30) sets the TTL, as in the deployed indexer.
      expect(item).toMatchObject({ eventID });
      expect(item?.expiresAt).toBe(Math.floor(Date.parse(String(item?.eventTime)) / 1000) + 30 * 86_400);
    }
    expect(existsSync(join(cwd, '.trail-index', `backfill-${STACK}.json`))).toBe(true);
    expect(second.stdout).toMatch(/^Already done: +2 files/m);
    expect(second.stdout).toMatch(/^Processed: +1 file, .*: 0 indexed, 0 skipped, 1 failed$/m);
  });

  it('without a deployment is a usage error (2)', async () => {
    // Act
    const result = await runCli(['backfill', '--since', '7d'], env, cwd);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: which deployment? Give --stack [NAME]');
  });

  it('names a stack that does not exist, with exit code 1', async () => {
    // Act
    const result = await runCli(['backfill', '--stack', 'NoSuchStack', '--dry-run'], env, cwd);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('stack NoSuchStack does not exist');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});

describe('trail-index redrive', () => {
  it('redrives what it can, keeps and reports the rest, and exits 1 while anything is left', async () => {
    // Prepare
    const record = glacierRecord('DeleteVault');
    const key = logFileKey({ at: new Date('2026-11-20T09:00:00Z') });
    await putObject(p, key, logFileBody([record]));
    const payload = snsEvent(cloudTrailMessage(p.bucket, [key]));
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: failureQueue,
        MessageBody: JSON.stringify({
          version: '1.0',
          timestamp: '2026-11-20T09:10:00.000Z',
          requestContext: {
            requestId: randomUUID(),
            functionArn: 'arn:aws:lambda:us-east-1:999999999999:function:Indexer:$LATEST',
            condition: 'RetriesExhausted',
            approximateInvokeCount: 3,
          },
          requestPayload: payload,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: 'WriteDeadlineError', errorMessage: '25 items still unprocessed' },
        }),
      }),
    );
    await p.sqs.send(
      new SendMessageCommand({
        QueueUrl: deadLetterQueue,
        MessageBody: JSON.stringify(snsEnvelope(cloudTrailMessage(p.bucket, [brokenKey]))),
      }),
    );

    // Act
    const result = await runCli(['redrive', '--stack', STACK], env, cwd);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/redriven, deleted \(1 event indexed, 1 alert published\)/);
    expect(result.stdout).toContain('failed before: WriteDeadlineError: 25 items still unprocessed');
    expect(result.stdout).toContain(`STILL FAILING, kept`);
    expect(result.stdout).toContain(`invalid-json: ${brokenKey}`);
    expect(result.stdout).toMatch(/^Redriven: 1, still failing: 1, unrecognised: 0/m);
    expect(result.stderr).toContain('error: 1 message left in the queues (1 still failing, 0 unrecognised)');
    expect(await getEvent(p, String(record.eventID))).toMatchObject({ eventName: 'DeleteVault' });
    const { Messages: failureLeft = [] } = await p.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: failureQueue }),
    );
    const { Messages: dlqLeft = [] } = await p.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: deadLetterQueue }),
    );
    expect(failureLeft).toHaveLength(0);
    expect(dlqLeft).toHaveLength(1);
  });
});
