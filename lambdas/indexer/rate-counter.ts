/**
 * Counts a rate rule's events per resource and window in DynamoDB, idempotently: each event's id is
 * added to a string set (DynamoDB's ADD keeps a set's members unique), so an event counted twice, by
 * a redelivery, by a second copy in another file or by both alert paths, counts once. Windows are
 * fixed (aligned to the epoch) and taken from the event's time, so that both paths agree.
 * The set stops growing one past the threshold (a condition on its size): what matters after
 * that is only that the threshold was passed, and the item stays far below DynamoDB's 400 KB.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, TTL_ATTRIBUTE } from '../shared/schema';
import { documentClient } from './index-writer';

export interface RateWindow {
  readonly start: string;
  readonly end: string;
}

export interface RateCount {
  readonly window: RateWindow;
  /** Events counted in the window, at most threshold + 1. */
  readonly count: number;
  /** More than the threshold: alert (once, by the marker). */
  readonly exceeded: boolean;
}

export interface RateCounter {
  count(
    rule: {
      readonly id: string;
      readonly rate: { readonly threshold: number; readonly windowMinutes: number };
    },
    resource: string,
    event: { readonly eventID: string; readonly eventTime: string },
  ): Promise<RateCount>;
}

/** The window an event time falls in. */
export function rateWindow(eventTime: string, windowMinutes: number): RateWindow {
  const size = windowMinutes * 60_000;
  const time = Date.parse(eventTime);
  const start = Math.floor((Number.isFinite(time) ? time : 0) / size) * size;
  return { start: new Date(start).toISOString(), end: new Date(start + size).toISOString() };
}

/** Windows are kept a day after they end: long enough for any late delivery of a log file. */
const WINDOW_KEPT_SECONDS = 24 * 3600;

export function createRateCounter(options: {
  readonly dynamodb: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
}): RateCounter {
  const db = documentClient(options.dynamodb);
  return {
    async count(rule, resource, event) {
      const window = rateWindow(event.eventTime, rule.rate.windowMinutes);
      const cap = rule.rate.threshold + 1;
      try {
        const { Attributes } = await db.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key: keys.rateWindow(rule.id, resource, window.start),
            UpdateExpression: 'ADD eventIds :id SET #ttl = if_not_exists(#ttl, :ttl)',
            ConditionExpression: 'attribute_not_exists(eventIds) OR size(eventIds) < :cap',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: {
              ':id': new Set([event.eventID]),
              ':cap': cap,
              ':ttl': Math.floor(Date.parse(window.end) / 1000) + WINDOW_KEPT_SECONDS,
            },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const ids = Attributes?.eventIds as Set<string> | undefined;
        const count = ids?.size ?? 0;
        return { window, count, exceeded: count > rule.rate.threshold };
      } catch (err) {
        // Full: the threshold was passed already.
        if (err instanceof Error && err.name === 'ConditionalCheckFailedException')
          return { window, count: cap, exceeded: true };
        throw err;
      }
    },
  };
}
