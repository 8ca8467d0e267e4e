/**
 * Minimal indexer entry point so that the stack can be bundled and deployed: it parses the SNS
 * notifications CloudTrail sends and logs the announced log files. It does not index anything yet;
 * the indexer proper replaces this file.
 */
import { Logger } from '@aws-lambda-powertools/logger';

const logger = new Logger();

interface Announcement {
  readonly s3Bucket?: unknown;
  readonly s3ObjectKey?: unknown;
}

function recordsOf(event: unknown): unknown[] {
  if (typeof event !== 'object' || event === null || !('Records' in event)) return [];
  const records = event.Records;
  return Array.isArray(records) ? records : [];
}

function messageOf(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null || !('Sns' in record)) return undefined;
  const sns = record.Sns;
  if (typeof sns !== 'object' || sns === null || !('Message' in sns)) return undefined;
  const message = sns.Message;
  return typeof message === 'string' ? message : undefined;
}

export const handler = async (event: unknown): Promise<void> => {
  for (const record of recordsOf(event)) {
    const message = messageOf(record);
    if (message === undefined) {
      logger.warn('Skipping a record that is not an SNS notification');
      continue;
    }
    let announcement: Announcement;
    try {
      announcement = JSON.parse(message) as Announcement;
    } catch {
      // CloudTrail's "CloudTrail validation message." is plain text, not JSON.
      logger.info('Skipping a notification that is not JSON', { message: message.slice(0, 200) });
      continue;
    }
    logger.info('CloudTrail delivered log files', {
      s3Bucket: announcement.s3Bucket,
      s3ObjectKey: announcement.s3ObjectKey,
    });
  }
  await Promise.resolve();
};
