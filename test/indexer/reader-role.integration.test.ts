/**
 * With LOG_READER_ROLE_ARN, the indexer reads the bucket as that role: the SDK's standard
 * `fromTemporaryCredentials` provider assumes it through STS (a local endpoint speaking STS's
 * protocol, through `AWS_ENDPOINT_URL_STS`), and the S3 reads carry its credentials.
 */
import { startStsEndpoint } from '../harness/sts-endpoint';
import { createTestPipeline, getEvent, putObject, type TestPipeline } from '../harness/pipeline';
import { glacierRecord, logFileBody, logFileKey } from '../harness/factories';
import { s3ObjectCreatedEvent } from '../../cli/s3-events';
import { createHandler } from '../../lambdas/indexer/create-handler';
import { defaultDeps } from '../../lambdas/indexer/deps';

const ROLE = 'arn:aws:iam::999999999999:role/trail-index-reader';
let p: TestPipeline;
let sts: Awaited<ReturnType<typeof startStsEndpoint>>;

beforeAll(async () => {
  p = await createTestPipeline();
  sts = await startStsEndpoint();
  process.env.AWS_ENDPOINT_URL_STS = sts.url;
  process.env.LOG_READER_ROLE_ARN = ROLE;
});

afterAll(async () => {
  delete process.env.LOG_READER_ROLE_ARN;
  delete process.env.AWS_ENDPOINT_URL_STS;
  await sts.close();
  p.close();
});

test('assumes the reader role once and indexes the file read with its credentials', async () => {
  // Prepare: the indexer's clients are made on first use, after the environment above, as at a cold start.
  const key = logFileKey();
  const record = glacierRecord('ListVaults');
  await putObject(p, key, logFileBody([record]));
  const handler = createHandler(defaultDeps());

  // Act
  const first = await handler(s3ObjectCreatedEvent(p.bucket, [{ key }]));
  const second = await handler(s3ObjectCreatedEvent(p.bucket, [{ key }]));

  // Assess
  expect([first.files[0]?.status, second.files[0]?.status]).toEqual(['indexed', 'indexed']);
  expect(await getEvent(p, record.eventID as string)).toBeDefined();
  expect(sts.calls.map((c) => [c.get('Action'), c.get('RoleArn'), c.get('RoleSessionName')])).toEqual([
    ['AssumeRole', ROLE, 'trail-index-indexer'],
  ]);
});
