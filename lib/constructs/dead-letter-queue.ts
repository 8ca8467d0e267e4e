import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';

/** SQS's maximum: the longest time an operator has to look at, and redrive, a failed message. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/**
 * A queue that catches what could not be delivered or processed: encrypted, TLS-only, keeping
 * messages for 14 days. Every one gets a "not empty" alarm in {@link Monitoring}.
 */
export function deadLetterQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: DEAD_LETTER_RETENTION,
  });
  NagSuppressions.addResourceSuppressions(queue, [
    {
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter target (of an SNS subscription or a Lambda failure destination).',
    },
    {
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'A dead-letter queue for a dead-letter queue would only move the problem; an alarm watches its depth.',
    },
  ]);
  return queue;
}
