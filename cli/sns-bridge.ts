/**
 * fauxqs delivers SNS only to SQS subscriptions. With raw delivery off, each SQS message body is the
 * SNS envelope (`SigningCertURL`, `UnsubscribeURL`, attributes as `{ Type, Value }`); Lambda receives
 * the same message as an `SNSEvent` record, with `SigningCertUrl` / `UnsubscribeUrl`. This module
 * turns the one into the other, so local mode and the tests invoke the real handler with what Lambda
 * would pass.
 */
import type { SNSEvent, SNSEventRecord, SNSMessageAttributes, SQSEvent } from 'aws-lambda';

export class SnsBridgeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SnsBridgeError';
  }
}

/** The fields of an SQS message the bridge reads (an SDK `Message` fits). */
export interface SqsMessageLike {
  readonly MessageId?: string;
  readonly Body?: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(envelope: Record<string, unknown>, field: string): string {
  const value = envelope[field];
  if (typeof value !== 'string') {
    throw new SnsBridgeError(
      `SNS envelope field ${field} is ${value === undefined ? 'missing' : 'not a string'}`,
    );
  }
  return value;
}

function optionalString(envelope: Record<string, unknown>, field: string): string | undefined {
  const value = envelope[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new SnsBridgeError(`SNS envelope field ${field} is not a string`);
  return value;
}

function messageAttributes(value: unknown): SNSMessageAttributes {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new SnsBridgeError('SNS envelope field MessageAttributes is not an object');
  const attributes: SNSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (!isObject(attribute) || typeof attribute.Type !== 'string' || typeof attribute.Value !== 'string') {
      throw new SnsBridgeError(`SNS message attribute ${name} is not { Type, Value } strings`);
    }
    attributes[name] = { Type: attribute.Type, Value: attribute.Value };
  }
  return attributes;
}

/**
 * One `SNSEventRecord` from an SQS body (a JSON string, or already parsed). Throws
 * {@link SnsBridgeError} when the body is not an SNS `Notification` envelope (e.g. raw delivery).
 */
export function snsRecordFromSqsBody(body: unknown, subscriptionArn?: string): SNSEventRecord {
  let envelope: unknown = body;
  if (typeof body === 'string') {
    try {
      envelope = JSON.parse(body) as unknown;
    } catch (err) {
      throw new SnsBridgeError('SQS message body is not JSON: is raw message delivery on?', { cause: err });
    }
  }
  if (!isObject(envelope)) throw new SnsBridgeError('SQS message body is not an SNS envelope object');
  const type = requiredString(envelope, 'Type');
  if (type !== 'Notification') throw new SnsBridgeError(`SNS envelope Type is ${type}, not Notification`);
  const topicArn = requiredString(envelope, 'TopicArn');
  const subject = optionalString(envelope, 'Subject');
  return {
    EventVersion: '1.0',
    EventSource: 'aws:sns',
    EventSubscriptionArn: subscriptionArn ?? `${topicArn}:local-bridge`,
    Sns: {
      Type: type,
      MessageId: requiredString(envelope, 'MessageId'),
      TopicArn: topicArn,
      ...(subject === undefined ? {} : { Subject: subject }),
      Message: requiredString(envelope, 'Message'),
      Timestamp: requiredString(envelope, 'Timestamp'),
      SignatureVersion: optionalString(envelope, 'SignatureVersion') ?? '1',
      Signature: optionalString(envelope, 'Signature') ?? '',
      SigningCertUrl: optionalString(envelope, 'SigningCertURL') ?? '',
      UnsubscribeUrl: optionalString(envelope, 'UnsubscribeURL') ?? '',
      MessageAttributes: messageAttributes(envelope.MessageAttributes),
    },
  };
}

/** An `SNSEvent` with one record per SQS message, in order. */
export function snsEventFromSqsMessages(
  messages: readonly SqsMessageLike[],
  subscriptionArn?: string,
): SNSEvent {
  return {
    Records: messages.map((message) => {
      if (message.Body === undefined) {
        throw new SnsBridgeError(`SQS message ${message.MessageId ?? '(no id)'} has no body`);
      }
      return snsRecordFromSqsBody(message.Body, subscriptionArn);
    }),
  };
}

/**
 * SQS messages as Lambda's SQS trigger hands them to a function: an `SQSEvent` whose records carry
 * the body as it is (an SNS envelope, an S3 event, an EventBridge event, or CloudTrail's notice).
 */
export function sqsEventFromMessages(
  messages: readonly (SqsMessageLike & { readonly ReceiptHandle?: string })[],
  queueArn: string,
): SQSEvent {
  return {
    Records: messages.map((message, at) => ({
      messageId: message.MessageId ?? `message-${at}`,
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: queueArn.split(':')[3] ?? 'us-east-1',
    })),
  };
}
