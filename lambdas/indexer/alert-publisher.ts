/**
 * Publishes each alert exactly once per (eventID, rule), across redeliveries, duplicate events in
 * several files and concurrent invocations. A marker item is claimed with a conditional put
 * (`pending` + a claim token and time), the alert is published, then the marker is set to `sent`.
 * If publishing fails, the claim is released and the invocation fails, so its retry publishes.
 * A claim whose holder died (timeout, crash) expires after a lease and can be taken again.
 * No transactions: dynalite has none, and the marker alone carries the state.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { keys, PARTITION_KEY, TTL_ATTRIBUTE } from '../shared/schema';
import { type AlertMessage, snsMessage } from '../shared/alert-message';
import { AlertPublishError } from './errors';
import { documentClient } from './index-writer';

export type AlertOutcome =
  /** Published now. */
  | 'published'
  /** A marker says it was published before. */
  | 'already-sent'
  /** Another invocation holds a fresh claim: this one must fail, so its retry checks again. */
  | 'in-flight';

export interface AlertPublisher {
  publish(alert: AlertMessage, options?: { expiresAt?: number }): Promise<AlertOutcome>;
}

export interface AlertPublisherOptions {
  readonly dynamodb: DynamoDBClient | DynamoDBDocumentClient;
  readonly sns: SNSClient;
  readonly tableName: string;
  readonly topicArn: string;
  /** How long a `pending` claim blocks others. Publishing takes milliseconds. @default 60000 */
  readonly leaseMs?: number;
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

export function createAlertPublisher(options: AlertPublisherOptions): AlertPublisher {
  const db = documentClient(options.dynamodb);
  const leaseMs = options.leaseMs ?? 60_000;
  const table = options.tableName;

  return {
    async publish(alert, { expiresAt } = {}) {
      const key = keys.alertMarker(alert.eventID, alert.ruleId);
      const token = randomUUID();
      const now = Date.now();
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: {
              ...key,
              state: 'pending',
              claimToken: token,
              claimedAt: now,
              eventID: alert.eventID,
              ruleId: alert.ruleId,
              subject: alert.subject,
              ...(expiresAt === undefined ? {} : { [TTL_ATTRIBUTE]: expiresAt }),
            },
            ConditionExpression:
              'attribute_not_exists(#pk) OR (#state = :pending AND #claimedAt < :staleBefore)',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#state': 'state', '#claimedAt': 'claimedAt' },
            ExpressionAttributeValues: { ':pending': 'pending', ':staleBefore': now - leaseMs },
          }),
        );
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
        const { Item } = await db.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }));
        return Item?.state === 'sent' ? 'already-sent' : 'in-flight';
      }

      let messageId: string | undefined;
      try {
        ({ MessageId: messageId } = await options.sns.send(
          new PublishCommand({
            TopicArn: options.topicArn,
            Subject: alert.subject,
            ...snsMessage(alert),
            MessageAttributes: Object.fromEntries(
              Object.entries(alert.attributes).map(([name, value]) => [
                name,
                { DataType: 'String', StringValue: value },
              ]),
            ),
          }),
        ));
      } catch (err) {
        // Release the claim so that the retry of this invocation publishes.
        await db
          .send(
            new DeleteCommand({
              TableName: table,
              Key: key,
              ConditionExpression: '#token = :token',
              ExpressionAttributeNames: { '#token': 'claimToken' },
              ExpressionAttributeValues: { ':token': token },
            }),
          )
          .catch((releaseError: unknown) => {
            // The lease expiry frees it later; the publish error is what matters.
            if (!isConditionFailure(releaseError))
              throw new AlertPublishError('could not release the alert claim', { cause: releaseError });
          });
        throw new AlertPublishError(`publishing alert ${alert.ruleId} for event ${alert.eventID} failed`, {
          cause: err,
        });
      }

      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: key,
            UpdateExpression:
              'SET #state = :sent, sentAt = :sentAt, messageId = :messageId REMOVE claimToken',
            ConditionExpression: '#token = :token',
            ExpressionAttributeNames: { '#state': 'state', '#token': 'claimToken' },
            ExpressionAttributeValues: {
              ':sent': 'sent',
              ':sentAt': new Date().toISOString(),
              ':messageId': messageId ?? '',
              ':token': token,
            },
          }),
        );
      } catch (err) {
        // Our lease expired and someone else claimed it: they will publish a second copy. Rare
        // (publishing took longer than the lease); at-least-once is the safe side.
        if (!isConditionFailure(err)) throw err;
      }
      return 'published';
    },
  };
}
