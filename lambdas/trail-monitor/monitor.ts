/**
 * One check of the trail: read its status, compare with the state last seen, publish an alert per
 * transition, then save the new state. Each transition's alert is keyed by the version the state
 * moves to, so a check retried after publishing (before saving) finds the marker and does not
 * alert twice; the state is saved with a condition on the version it was read at.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keys, PARTITION_KEY } from '../shared/schema';
import type { AlertPublisher } from '../indexer/alert-publisher';
import { documentClient } from '../indexer/index-writer';
import { type Problem, problemsOf, type TrailStatus, trailStatusAlert, transitions } from './trail-status';

export interface TrailStatusState {
  readonly version: number;
  readonly problems: Partial<Record<Problem, string>>;
}

export interface TrailStateStore {
  get(trailArn: string): Promise<TrailStatusState | undefined>;
  /** Saves `next` if the stored version is still `expected` (0: nothing stored); false if not. */
  put(trailArn: string, next: TrailStatusState, expected: number): Promise<boolean>;
}

export interface CheckResult {
  readonly problems: Partial<Record<Problem, string>>;
  readonly raised: number;
  readonly cleared: number;
  readonly published: number;
}

export async function checkTrail(
  deps: {
    readonly status: () => Promise<TrailStatus>;
    readonly store: TrailStateStore;
    readonly alerts: AlertPublisher;
  },
  trailArn: string,
  now = new Date(),
): Promise<CheckResult> {
  const status = await deps.status();
  const current = problemsOf(status);
  const previous = (await deps.store.get(trailArn)) ?? { version: 0, problems: {} };
  const changes = transitions(previous.problems, current);
  let published = 0;
  if (changes.length > 0) {
    const version = previous.version + 1;
    for (const change of changes) {
      const outcome = await deps.alerts.publish(trailStatusAlert(trailArn, version, change, now));
      if (outcome === 'published') published += 1;
    }
    // Another check saved first (the schedule overlapping a retry): its alerts were the same.
    await deps.store.put(trailArn, { version, problems: current }, previous.version);
  }
  return {
    problems: current,
    raised: changes.filter((c) => c.change === 'raised').length,
    cleared: changes.filter((c) => c.change === 'cleared').length,
    published,
  };
}

export function createTrailStateStore(options: {
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
}): TrailStateStore {
  const db = documentClient(options.dynamodb);
  return {
    async get(trailArn) {
      const { Item } = await db.send(
        new GetCommand({
          TableName: options.tableName,
          Key: keys.trailStatus(trailArn),
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) return undefined;
      const stored: unknown = Item.problems;
      const problems = typeof stored === 'object' && stored !== null ? stored : {};
      return {
        version: typeof Item.version === 'number' ? Item.version : 0,
        problems: problems,
      };
    },
    async put(trailArn, next, expected) {
      try {
        await db.send(
          new PutCommand({
            TableName: options.tableName,
            Item: {
              ...keys.trailStatus(trailArn),
              version: next.version,
              problems: next.problems,
              checkedAt: new Date().toISOString(),
            },
            ConditionExpression: expected === 0 ? 'attribute_not_exists(#pk)' : '#version = :expected',
            ExpressionAttributeNames: expected === 0 ? { '#pk': PARTITION_KEY } : { '#version': 'version' },
            ...(expected === 0 ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
          }),
        );
        return true;
      } catch (err) {
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
  };
}
