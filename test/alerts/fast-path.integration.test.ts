/**
 * The two alert paths on the emulators, with the production wiring of both functions: the fast
 * path's handler (EventBridge events) and the indexer's (log files announced on SNS). They share
 * one marker per (eventID, rule), so each event alerts once whichever arrives first, and the rate
 * rule counts each event once however often it is seen.
 */
import { randomUUID } from 'node:crypto';
import type * as AlerterModule from '../../lambdas/alerter/handler';
import { createHandler, type IndexerHandler } from '../../lambdas/indexer/create-handler';
import { defaultDeps } from '../../lambdas/indexer/deps';
import { ENV } from '../../lambdas/shared/config';
import {
  ACCOUNT,
  apiCallEvent,
  apiCallRecord,
  cloudTrailMessage,
  failedDeleteVault,
  glacierRecord,
  logFileBody,
  logFileKey,
  REGION,
} from '../harness/factories';
import {
  createTestPipeline,
  deliver,
  getAlertMarker,
  getEvent,
  putObject,
  receiveAlerts,
  type TestPipeline,
} from '../harness/pipeline';

const TRAIL = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/trail-index`;
let p: TestPipeline;
let indexer: IndexerHandler;
let fast: typeof AlerterModule.handler;

beforeAll(async () => {
  p = await createTestPipeline();
  // The rules as a user would change them (a small burst threshold), and what they are scoped to.
  process.env[ENV.alertRules] = JSON.stringify({
    overrides: { 'glacier-delete-archive-burst': { threshold: 5, windowMinutes: 10 } },
  });
  process.env[ENV.ownResources] = JSON.stringify({ trail: TRAIL, bucket: p.bucket, table: p.tableName });
  indexer = createHandler(defaultDeps());
  // The alerter reads its environment on first use, as in Lambda.
  ({ handler: fast } = jest.requireActual<typeof AlerterModule>('../../lambdas/alerter/handler'));
});

afterAll(() => {
  delete process.env[ENV.alertRules];
  delete process.env[ENV.ownResources];
  p.close();
});

/** Puts a log file of the records and delivers CloudTrail's notice to the indexer. */
async function logFileArrives(records: Record<string, unknown>[]) {
  const key = logFileKey();
  await putObject(p, key, logFileBody(records));
  return indexer(await deliver(p, [cloudTrailMessage(p.bucket, [key])]));
}

test('fast path first: it alerts in seconds, the log file indexes the event and does not alert again', async () => {
  // Prepare
  const record = failedDeleteVault({ eventID: randomUUID() });

  // Act
  const fastResult = await fast(apiCallEvent(record));
  const fromEventBridge = await receiveAlerts(p);
  await logFileArrives([record]);
  const fromLogFile = await receiveAlerts(p);

  // Assess
  expect(fastResult.outcomes).toEqual([{ ruleId: 'glacier-delete-vault', outcome: 'published' }]);
  expect(fromEventBridge).toHaveLength(1);
  expect(fromEventBridge[0]?.message).toContain('alerted from EventBridge');
  expect(fromEventBridge[0]?.attributes).toMatchObject({
    severity: 'critical',
    rule: 'glacier-delete-vault',
  });
  expect(fromLogFile).toEqual([]);
  expect(await getEvent(p, String(record.eventID))).toMatchObject({ eventName: 'DeleteVault' });
});

test('log file first: it alerts; the late EventBridge event finds the marker', async () => {
  // Prepare
  const record = glacierRecord('DeleteVault', { eventID: randomUUID() });

  // Act
  await logFileArrives([record]);
  const fromLogFile = await receiveAlerts(p);
  const late = await fast(apiCallEvent(record));
  const fromEventBridge = await receiveAlerts(p);

  // Assess
  expect(fromLogFile).toHaveLength(1);
  expect(fromLogFile[0]?.message).toContain(`Log file:      s3://${p.bucket}/`);
  expect(late.outcomes).toEqual([{ ruleId: 'glacier-delete-vault', outcome: 'already-sent' }]);
  expect(fromEventBridge).toEqual([]);
});

test('both at once: one alert; the path that lost the race finds it sent when retried', async () => {
  // Prepare
  const record = glacierRecord('CompleteVaultLock', { eventID: randomUUID() });
  const key = logFileKey();
  await putObject(p, key, logFileBody([record]));
  const notice = await deliver(p, [cloudTrailMessage(p.bucket, [key])]);

  // Act: both at the same moment; the indexer fails if it found the marker claimed (its retry).
  const [fastResult, indexed] = await Promise.allSettled([fast(apiCallEvent(record)), indexer(notice)]);
  if (indexed.status === 'rejected') await indexer(notice);
  const alerts = await receiveAlerts(p);

  // Assess
  expect(fastResult.status).toBe('fulfilled');
  expect(alerts).toHaveLength(1);
  expect(alerts[0]?.attributes.rule).toBe('glacier-vault-lock-change');
  expect(await getAlertMarker(p, String(record.eventID), 'glacier-vault-lock-change')).toMatchObject({
    state: 'sent',
  });
});

test('the same event from EventBridge twice (at-least-once delivery) alerts once', async () => {
  // Prepare
  const event = apiCallEvent(glacierRecord('SetVaultAccessPolicy', { eventID: randomUUID() }));

  // Act
  const outcomes = [(await fast(event)).outcomes, (await fast(event)).outcomes];

  // Assess
  expect(outcomes.flat().map((o) => o.outcome)).toEqual(['published', 'already-sent']);
  expect(await receiveAlerts(p)).toHaveLength(1);
});

test("the trail's own tampering is indexed and alerted from its log file; another trail's is neither", async () => {
  // Prepare
  const ours = apiCallRecord(
    'cloudtrail.amazonaws.com',
    'StopLogging',
    { name: TRAIL },
    { eventID: randomUUID() },
  );
  const theirs = apiCallRecord(
    'cloudtrail.amazonaws.com',
    'StopLogging',
    { name: 'someone-elses-trail' },
    { eventID: randomUUID() },
  );

  // Act
  await logFileArrives([ours, theirs]);
  const alerts = await receiveAlerts(p);

  // Assess
  expect(alerts.map((a) => a.subject)).toEqual([
    `CRITICAL: CloudTrail StopLogging: trail-index (${ACCOUNT}, ${REGION})`,
  ]);
  expect(alerts[0]?.attributes).toMatchObject({ rule: 'trail-stop-logging', severity: 'critical' });
  expect(await getEvent(p, String(ours.eventID))).toMatchObject({ eventSource: 'cloudtrail.amazonaws.com' });
  expect(await getEvent(p, String(theirs.eventID))).toBeUndefined();
});

test('an event that is not a CloudTrail API call is skipped with its reason', async () => {
  // Act
  const result = await fast({ 'detail-type': 'Scheduled Event', detail: {} });

  // Assess
  expect(result).toEqual({ skipped: 'detail-type is not "AWS API Call via CloudTrail"', outcomes: [] });
});

describe('the DeleteArchive rate rule', () => {
  const vault = () => `emptied-${randomUUID().slice(0, 8)}`;
  const deletes = (vaultName: string, count: number, minute = '10:01') =>
    Array.from({ length: count }, (_, i) =>
      glacierRecord('DeleteArchive', {
        eventID: randomUUID(),
        eventTime: `2026-11-20T${minute}:${String(i % 60).padStart(2, '0')}Z`,
        requestParameters: { accountId: '-', vaultName, archiveId: randomUUID() },
      }),
    );

  test('more than the threshold in a window alerts once, across both paths and redeliveries', async () => {
    // Prepare: 6 deletes (threshold 5): 3 seen by EventBridge, all 6 in a log file delivered twice.
    const name = vault();
    const records = deletes(name, 6);

    // Act
    for (const record of records.slice(0, 3)) await fast(apiCallEvent(record));
    await logFileArrives(records);
    await logFileArrives(records);
    for (const record of records.slice(3)) await fast(apiCallEvent(record));
    const alerts = await receiveAlerts(p);

    // Assess
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.subject).toBe(
      `CRITICAL: More than 5 DeleteArchive in 10 min: ${name} (${ACCOUNT}, ${REGION})`,
    );
    expect(alerts[0]?.message).toContain(
      'Window:                        2026-11-20T10:00:00.000Z to 2026-11-20T10:10:00.000Z',
    );
    expect(alerts[0]?.attributes).toMatchObject({
      rule: 'glacier-delete-archive-burst',
      severity: 'critical',
    });
  });

  test('at the threshold, or spread over two windows, nothing is alerted', async () => {
    // Prepare
    const name = vault();

    // Act: 5 in one window (not more than 5), then 5 in the next.
    await logFileArrives(deletes(name, 5, '10:01'));
    await logFileArrives(deletes(name, 5, '10:11'));
    const alerts = await receiveAlerts(p);

    // Assess
    expect(alerts).toEqual([]);
  });

  test('another vault counts on its own', async () => {
    // Prepare
    const [a, b] = [vault(), vault()];

    // Act
    await logFileArrives([...deletes(a, 3), ...deletes(b, 3)]);
    const alerts = await receiveAlerts(p);

    // Assess
    expect(alerts).toEqual([]);
  });
});
