/**
 * The trail monitor's handler as Lambda runs it: GetTrailStatus from a local CloudTrail endpoint
 * (no emulator serves CloudTrail's API), its state and alert markers in the emulated table, alerts
 * on the emulated topic. One alert per change of status, not per check, and one on recovery.
 */
import { ENV } from '../../lambdas/shared/config';
import { problemsOf, transitions } from '../../lambdas/trail-monitor/trail-status';
import type * as MonitorModule from '../../lambdas/trail-monitor/handler';
import { ACCOUNT, REGION } from '../harness/factories';
import { type CloudTrailEndpoint, startCloudTrailEndpoint } from '../harness/cloudtrail-endpoint';
import { createTestPipeline, receiveAlerts, type TestPipeline } from '../harness/pipeline';

const TRAIL = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/trail-index`;
const status: { current: Record<string, unknown> } = { current: { IsLogging: true } };
let p: TestPipeline;
let endpoint: CloudTrailEndpoint;
let check: typeof MonitorModule.handler;
let savedEndpoint: string | undefined;

beforeAll(async () => {
  p = await createTestPipeline();
  endpoint = await startCloudTrailEndpoint([], [], status);
  savedEndpoint = process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = endpoint.url;
  process.env[ENV.trailArn] = TRAIL;
  ({ handler: check } = jest.requireActual<typeof MonitorModule>('../../lambdas/trail-monitor/handler'));
});

afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  else process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = savedEndpoint;
  delete process.env[ENV.trailArn];
  await endpoint.close();
  p.close();
});

test('stopped, still stopped, a delivery error, recovered: one alert per change', async () => {
  // Act
  const healthy = await check({});
  const quiet = await receiveAlerts(p, 0);
  status.current = { IsLogging: false, StopLoggingTime: 1_795_000_000 };
  await check({});
  const stopped = await receiveAlerts(p);
  await check({});
  await check({});
  const stillStopped = await receiveAlerts(p, 0);
  status.current = {
    IsLogging: true,
    LatestDeliveryError: 'AccessDenied',
  };
  await check({});
  const changed = await receiveAlerts(p);
  status.current = { IsLogging: true };
  await check({});
  const recovered = await receiveAlerts(p);

  // Assess
  expect(healthy).toEqual({ problems: {}, raised: 0, cleared: 0, published: 0 });
  expect(quiet).toEqual([]);
  expect(stopped.map((a) => a.subject)).toEqual(['CRITICAL: Trail trail-index: the trail is not logging']);
  expect(stopped[0]?.message).toContain('Detail:     stopped at 2026-11-18T');
  expect(stopped[0]?.attributes).toMatchObject({ rule: 'trail-status-not-logging', severity: 'critical' });
  expect(stillStopped).toEqual([]);
  expect(changed.map((a) => a.subject).sort()).toEqual([
    'CRITICAL: Trail trail-index: CloudTrail cannot deliver log files to the bucket',
    'RECOVERED: trail trail-index: the trail is not logging, no longer',
  ]);
  expect(recovered.map((a) => a.subject)).toEqual([
    'RECOVERED: trail trail-index: CloudTrail cannot deliver log files to the bucket, no longer',
  ]);
  expect(endpoint.calls.filter((c) => c === 'GetTrailStatus')).toHaveLength(6);
});

describe('transitions (pure)', () => {
  test('a problem seen again is no change; a new error for it is', () => {
    const before = problemsOf({ LatestNotificationError: 'AuthorizationError', IsLogging: true });
    expect(transitions(before, before)).toEqual([]);
    expect(transitions(before, problemsOf({ LatestNotificationError: 'NotFound', IsLogging: true }))).toEqual(
      [{ problem: 'notification-error', change: 'raised', detail: 'NotFound' }],
    );
    expect(problemsOf({ LatestDigestDeliveryError: '  ', IsLogging: true })).toEqual({});
  });
});
