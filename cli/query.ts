/**
 * Runs a {@link QueryPlan}: DynamoDB Query only (never Scan), newest first, following
 * `LastEvaluatedKey` until enough items pass the filters. Usable without the CLI:
 *
 *     const events = await runQuery(new DynamoDBClient({}), 'my-table', planQuery({ event: 'DeleteVault' }), { limit: 20 });
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  QueryCommand,
  QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { IndexedEventSummary, keys, PROJECTED_ATTRIBUTES, TIME_KEY } from '../lambdas/shared/schema';
import { FilterCondition, QueryPlan } from './query-plan';

export interface RunQueryOptions {
  /** Stop after this many matching events. */
  readonly limit: number;
  /**
   * DynamoDB `Limit` per request (items evaluated, before filters). Default: the number still
   * wanted when nothing is filtered, else DynamoDB's 1 MB page.
   */
  readonly pageSize?: number;
  /** Called once per Query request, e.g. to count pages. */
  readonly onPage?: (page: { partition: string; scanned: number; returned: number }) => void;
}

interface Hit {
  readonly sortKey: string;
  readonly event: IndexedEventSummary;
}

const documentClients = new WeakMap<DynamoDBClient, DynamoDBDocumentClient>();

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  let doc = documentClients.get(client);
  if (doc === undefined) {
    doc = DynamoDBDocumentClient.from(client);
    documentClients.set(client, doc);
  }
  return doc;
}

/** The matching events, newest first, at most `options.limit`. */
export async function runQuery(
  client: DynamoDBClient,
  tableName: string,
  plan: QueryPlan,
  options: RunQueryOptions,
): Promise<IndexedEventSummary[]> {
  const events: IndexedEventSummary[] = [];
  if (options.limit <= 0) return events;
  for await (const event of queryEvents(client, tableName, plan, options)) {
    events.push(event);
    if (events.length >= options.limit) break;
  }
  return events;
}

/** The matching events, newest first, fetched page by page as the caller consumes them. */
export async function* queryEvents(
  client: DynamoDBClient,
  tableName: string,
  plan: QueryPlan,
  options: RunQueryOptions,
): AsyncGenerator<IndexedEventSummary> {
  const doc = documentClient(client);
  const streams = plan.partitions.map((partition) => partitionHits(doc, tableName, plan, partition, options));
  if (streams.length === 1 && streams[0] !== undefined) {
    for await (const hit of streams[0]) yield hit.event;
    return;
  }
  // Several partitions (an event name under more than one service): each stream is sorted, so a
  // merge on the sort key keeps the whole output newest first.
  const heads = await Promise.all(streams.map(async (s) => ({ stream: s, next: await s.next() })));
  for (;;) {
    let best: (typeof heads)[number] | undefined;
    for (const head of heads) {
      if (head.next.done === true) continue;
      if (
        best === undefined ||
        (best.next.done !== true && head.next.value.sortKey > best.next.value.sortKey)
      ) {
        best = head;
      }
    }
    if (best === undefined || best.next.done === true) return;
    yield best.next.value.event;
    best.next = await best.stream.next();
  }
}

async function* partitionHits(
  doc: DynamoDBDocumentClient,
  tableName: string,
  plan: QueryPlan,
  partition: string,
  options: RunQueryOptions,
): AsyncGenerator<Hit> {
  const filter = filterExpression(plan.conditions);
  let returned = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    // Unfiltered, read no more than is wanted (dynalite returns nothing for a huge Limit: cap it).
    const pageSize =
      options.pageSize ??
      (filter === undefined ? Math.min(Math.max(options.limit - returned, 1), 1000) : undefined);
    const input: QueryCommandInput = {
      TableName: tableName,
      IndexName: plan.index,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lower AND :upper',
      ExpressionAttributeNames: { '#pk': plan.partitionKey, '#sk': plan.sortKey, ...filter?.names },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':lower': plan.range.lower,
        ':upper': plan.range.upper,
        ...filter?.values,
      },
      ...(filter === undefined ? {} : { FilterExpression: filter.expression }),
      ScanIndexForward: false,
      ...(pageSize === undefined ? {} : { Limit: pageSize }),
      ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
    };
    const page = await doc.send(new QueryCommand(input));
    const items = page.Items ?? [];
    options.onPage?.({ partition, scanned: page.ScannedCount ?? items.length, returned: items.length });
    for (const item of items) {
      returned += 1;
      yield { sortKey: String(item[plan.sortKey] ?? item[TIME_KEY]), event: toSummary(item) };
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

function filterExpression(
  conditions: readonly FilterCondition[],
): { expression: string; names: Record<string, string>; values: Record<string, string> } | undefined {
  if (conditions.length === 0) return undefined;
  const names: Record<string, string> = {};
  const values: Record<string, string> = {};
  const parts = conditions.map((condition, i) => {
    names[`#f${i}`] = condition.attribute;
    if (condition.kind === 'exists') return `attribute_exists(#f${i})`;
    values[`:f${i}`] = condition.value;
    return `#f${i} = :f${i}`;
  });
  return { expression: parts.join(' AND '), names, values };
}

/** The projected summary of an index item, without the key attributes. */
export function toSummary(item: Record<string, unknown>): IndexedEventSummary {
  const summary: Record<string, unknown> = {};
  for (const attribute of PROJECTED_ATTRIBUTES) {
    if (item[attribute] !== undefined && item[attribute] !== null) summary[attribute] = item[attribute];
  }
  // The index projects these: an item without them was not written by the indexer.
  for (const required of ['eventID', 'eventTime', 'eventSource', 'eventName'] as const) {
    if (typeof summary[required] !== 'string') summary[required] = '';
  }
  return summary as unknown as IndexedEventSummary;
}

/**
 * The base-table items of the given events (`--full`), by eventID. BatchGetItem takes 100 keys at a
 * time and may return some unprocessed: those are asked for again after a short backoff.
 */
export async function getEventItems(
  client: DynamoDBClient,
  tableName: string,
  eventIDs: readonly string[],
): Promise<Map<string, Record<string, unknown>>> {
  const found = new Map<string, Record<string, unknown>>();
  const items = await batchGet(
    client,
    tableName,
    [...new Set(eventIDs)].map((id) => keys.event(id)),
  );
  for (const item of items) if (typeof item.eventID === 'string') found.set(item.eventID, item);
  return found;
}

/**
 * The integrity state of the log files the events were read from (`verified`, `pending`,
 * `invalid`, `missing`), by `s3://bucket/key`; files with no state (indexed before their hash was
 * recorded) are absent.
 */
export async function getLogFileIntegrity(
  client: DynamoDBClient,
  tableName: string,
  events: readonly { logBucket: string; logKey: string }[],
): Promise<Map<string, string>> {
  const files = new Map(events.map((e) => [`s3://${e.logBucket}/${e.logKey}`, e]));
  const items = await batchGet(
    client,
    tableName,
    [...files.values()].map((e) => keys.logFile(e.logBucket, e.logKey)),
  );
  const states = new Map<string, string>();
  for (const item of items) {
    if (
      typeof item.logBucket === 'string' &&
      typeof item.logKey === 'string' &&
      typeof item.integrity === 'string'
    ) {
      states.set(`s3://${item.logBucket}/${item.logKey}`, item.integrity);
    }
  }
  return states;
}

/** BatchGetItem over any number of keys, 100 at a time, unprocessed keys retried with backoff. */
async function batchGet(
  client: DynamoDBClient,
  tableName: string,
  allKeys: readonly Record<string, unknown>[],
): Promise<Record<string, unknown>[]> {
  const doc = documentClient(client);
  const found: Record<string, unknown>[] = [];
  for (let start = 0; start < allKeys.length; start += 100) {
    let requestKeys: Record<string, unknown>[] = allKeys.slice(start, start + 100);
    for (let attempt = 0; requestKeys.length > 0; attempt += 1) {
      if (attempt > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 2_000)));
      if (attempt > 10)
        throw new Error(`BatchGetItem left ${requestKeys.length} keys unprocessed after ${attempt} attempts`);
      const result = await doc.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: requestKeys } } }),
      );
      found.push(...(result.Responses?.[tableName] ?? []));
      requestKeys = result.UnprocessedKeys?.[tableName]?.Keys ?? [];
    }
  }
  return found;
}
