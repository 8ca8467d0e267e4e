/**
 * Items 3 and 5, against dynalite started in this process on 127.0.0.1, tables created from the
 * schema module's `createTableInput`.
 *
 * 3. Write path: selected records → items (`buildEventItem`) → the indexer's writer
 *    (`createIndexWriter`), against a bare sequential BatchWriteItem loop of the same, prebuilt
 *    items. Events per second of each, in the same run, fresh tables each time.
 * 5. Query: the CLI's query path (`planQuery` + `runQuery`) for the last 50 events of one vault
 *    among 100,000 indexed events, against one hand-written Query.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { planQuery } from '../cli/query-plan';
import { runQuery } from '../cli/query';
import { createIndexWriter } from '../lambdas/indexer/index-writer';
import { buildEventItem, type EventItem } from '../lambdas/shared/event-item';
import { createTableInput, INDEXES, keys } from '../lambdas/shared/schema';
import { GLACIER, makeRecord, prng } from './cloudtrail-generator';
import { round, summarize, type Summary } from './stats';

type Dynalite = (options: Record<string, unknown>) => Server;

export interface WriteResult {
  readonly events: number;
  readonly runs: number;
  readonly writerEventsPerSecond: Summary;
  readonly bareEventsPerSecond: Summary;
  /** writer events/s ÷ bare loop events/s, per run (target ≥ 0.8). */
  readonly writerOverBare: Summary;
  /** ⌈N/25⌉ plus retries. */
  readonly expectedRequests: number;
  readonly writerRequests: Summary;
  readonly writerRetries: Summary;
  readonly bareRequests: Summary;
}

export interface QueryResult {
  readonly indexedEvents: number;
  readonly vaultEvents: number;
  readonly runs: number;
  readonly cliMs: Summary;
  readonly handWrittenMs: Summary;
  /** CLI path time ÷ hand-written Query time, per run (target ≤ 1.5). */
  readonly cliOverHandWritten: Summary;
  readonly sameEvents: boolean;
  readonly populateSeconds: number;
}

const LOG = {
  logBucket: 'trail-index-logs',
  logKey: 'AWSLogs/111122223333/CloudTrail/us-east-1/bench.json.gz',
};
const ACCOUNT = '111122223333';
const REGION = 'us-east-1';
const VAULT = 'bench-vault';

export async function startDynalite(): Promise<{ client: DynamoDBClient; stop(): Promise<void> }> {
  const dynalite = createRequire(__filename)('dynalite') as Dynalite;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  return {
    client,
    stop: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(new CreateTableCommand(createTableInput(name)));
}

/** Selected records (Glacier and Support), as the scanner yields them. */
function selectedRecords(seed: number, count: number): { record: Record<string, unknown>; raw: string }[] {
  const rng = prng(seed);
  return Array.from({ length: count }, () => {
    const record = makeRecord(rng, { selectedShare: 1 });
    return { record, raw: JSON.stringify(record) };
  });
}

/** The bare loop: one BatchWriteItem after the other, unprocessed items sent again at once. */
async function bareLoop(
  doc: DynamoDBDocumentClient,
  table: string,
  items: readonly EventItem[],
): Promise<number> {
  let requests = 0;
  for (let i = 0; i < items.length; i += 25) {
    let pending: Record<string, unknown>[] = items
      .slice(i, i + 25)
      .map((item) => ({ PutRequest: { Item: item } }));
    while (pending.length > 0) {
      requests += 1;
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = UnprocessedItems?.[table] ?? [];
    }
  }
  return requests;
}

export async function writeBenchmark(
  client: DynamoDBClient,
  events: number,
  runs: number,
  log: (line: string) => void,
): Promise<WriteResult> {
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const records = selectedRecords(5, events);
  const indexedAt = new Date('2026-11-21T00:00:00Z');
  const prebuilt = records.map(({ record, raw }) => buildEventItem(record, { ...LOG, indexedAt, raw }));
  const writerRate: number[] = [];
  const bareRate: number[] = [];
  const ratios: number[] = [];
  const writerRequests: number[] = [];
  const writerRetries: number[] = [];
  const bareRequests: number[] = [];

  for (let run = 0; run < runs; run++) {
    const writerTable = `bench-writer-${run}`;
    const bareTable = `bench-bare-${run}`;
    await createTable(client, writerTable);
    await createTable(client, bareTable);
    const writer = createIndexWriter({ client, tableName: writerTable });

    const measureWriter = async () => {
      const start = performance.now();
      // End to end: the items are built from the selected records, then written.
      const items = records.map(({ record, raw }) => buildEventItem(record, { ...LOG, indexedAt, raw }));
      const result = await writer.write(items);
      const seconds = (performance.now() - start) / 1000;
      writerRequests.push(result.requests);
      writerRetries.push(result.retries);
      return events / seconds;
    };
    const measureBare = async () => {
      const start = performance.now();
      bareRequests.push(await bareLoop(doc, bareTable, prebuilt));
      return events / ((performance.now() - start) / 1000);
    };
    // Alternate which goes first, so that neither always meets a warmer or fuller server.
    let w: number;
    let b: number;
    if (run % 2 === 0) {
      w = await measureWriter();
      b = await measureBare();
    } else {
      b = await measureBare();
      w = await measureWriter();
    }
    writerRate.push(w);
    bareRate.push(b);
    ratios.push(w / b);
    log(`  write run ${run + 1}/${runs}: writer ${round(w, 0)} events/s, bare loop ${round(b, 0)} events/s`);
  }
  return {
    events,
    runs,
    writerEventsPerSecond: summarize(writerRate),
    bareEventsPerSecond: summarize(bareRate),
    writerOverBare: summarize(ratios),
    expectedRequests: Math.ceil(events / 25),
    writerRequests: summarize(writerRequests),
    writerRetries: summarize(writerRetries),
    bareRequests: summarize(bareRequests),
  };
}

/** 100,000 Glacier and Support events; every 200th is a call on the benchmark's vault. */
function* queryItems(count: number): Generator<EventItem> {
  const rng = prng(11);
  const indexedAt = new Date('2026-11-21T00:00:00Z');
  for (let n = 0; n < count; n++) {
    const record = makeRecord(rng, { selectedShare: 1 });
    if (n % 200 === 0) {
      record.eventSource = GLACIER;
      record.eventName = 'DescribeVault';
      record.awsRegion = REGION;
      record.recipientAccountId = ACCOUNT;
      record.requestParameters = { accountId: '-', vaultName: VAULT };
    }
    yield buildEventItem(record, { ...LOG, indexedAt });
  }
}

export async function queryBenchmark(
  client: DynamoDBClient,
  indexedEvents: number,
  runs: number,
  log: (line: string) => void,
): Promise<QueryResult> {
  const table = 'bench-query';
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  await createTable(client, table);
  const populateStart = performance.now();
  // Populated with the indexer's writer (not measured here), 8 requests at a time.
  const writer = createIndexWriter({ client, tableName: table, concurrency: 8 });
  let batch: EventItem[] = [];
  for (const item of queryItems(indexedEvents)) {
    batch.push(item);
    if (batch.length === 5000) {
      await writer.write(batch);
      batch = [];
    }
  }
  await writer.write(batch);
  const populateSeconds = round((performance.now() - populateStart) / 1000, 1);
  log(`  indexed ${indexedEvents} events in ${populateSeconds} s`);

  const plan = planQuery({ vault: VAULT, account: ACCOUNT, region: REGION });
  const partition = keys.vault(ACCOUNT, REGION, VAULT);
  const cli = () => runQuery(client, table, plan, { limit: 50 });
  const handWritten = async () => {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: INDEXES.byResource.indexName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': INDEXES.byResource.partitionKey },
        ExpressionAttributeValues: { ':pk': partition },
        ScanIndexForward: false,
        Limit: 50,
      }),
    );
    return page.Items ?? [];
  };

  // Warm both paths (connections, JIT) before measuring.
  const first = await cli();
  const reference = await handWritten();
  const sameEvents =
    first.length === 50 &&
    JSON.stringify(first.map((e) => e.eventID)) === JSON.stringify(reference.map((i) => String(i.eventID)));

  const cliMs: number[] = [];
  const handMs: number[] = [];
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    let start = performance.now();
    await handWritten();
    const h = performance.now() - start;
    start = performance.now();
    await cli();
    const c = performance.now() - start;
    cliMs.push(c);
    handMs.push(h);
    ratios.push(c / h);
  }
  log(
    `  query: CLI ${round(summarize(cliMs).median, 1)} ms, hand-written ${round(summarize(handMs).median, 1)} ms`,
  );
  return {
    indexedEvents,
    vaultEvents: Math.ceil(indexedEvents / 200),
    runs,
    cliMs: summarize(cliMs),
    handWrittenMs: summarize(handMs),
    cliOverHandWritten: summarize(ratios),
    sameEvents,
    populateSeconds,
  };
}
