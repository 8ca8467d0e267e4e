/**
 * `trail-index redrive`: reprocesses the notifications that the pipeline could not index.
 *
 * Two queues hold them:
 * - the indexer's asynchronous-invocation failure destination: each body is a Lambda invocation
 *   record, `{ version, timestamp, requestContext: { requestId, functionArn, condition,
 *   approximateInvokeCount }, requestPayload: <the SNSEvent>, responseContext, responsePayload:
 *   { errorType, errorMessage, ... } }`;
 * - the SNS subscription's dead-letter queue: each body is the SNS notification envelope as SNS
 *   would have delivered it (`Type: Notification`, `MessageId`, `TopicArn`, `Message`, ...).
 *
 * Messages are recognised by shape, not by queue. Each event goes through the same handler as the
 * Lambda. A message is deleted only after the handler succeeded; the rest are made visible again at
 * the end of the run (not at once, or this run would receive them again) and reported with why.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  Message,
  MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { EventBridgeEvent, S3Event, SNSEvent, SNSEventRecord } from 'aws-lambda';
import { notificationsOf } from '../lambdas/indexer/notification';
import { IndexingFailedError } from '../lambdas/indexer/errors';
import type { FileResult, NotificationSummary } from '../lambdas/indexer/types';
import { snsRecordFromSqsBody } from './sns-bridge';
import { SQS_BATCH_MAX_ENTRIES } from '../lambdas/shared/aws-limits';

/** Which queue a message came from, for the report. */
export type QueueRole = 'failure-destination' | 'subscription-dlq';

export const QUEUE_LABEL: Readonly<Record<QueueRole, string>> = {
  'failure-destination': 'failure destination',
  'subscription-dlq': 'subscription dead-letter queue',
};

export interface RedriveQueue {
  readonly role: QueueRole;
  readonly url: string;
}

export interface RedriveDeps {
  /** An SQS client; with queue URLs from a stack, build it with `useQueueUrlAsEndpoint: false`. */
  readonly sqs: SQSClient;
  /**
   * The indexer's handler (`createHandler(deps)`). It resolves with the summary, or throws
   * `IndexingFailedError` carrying it, which lets the report name each failed file and why.
   */
  readonly handle: (event: DeliveredEvent) => Promise<NotificationSummary>;
}

export interface RedriveOptions {
  readonly queues: readonly RedriveQueue[];
  /** Receive and report, change nothing. */
  readonly dryRun?: boolean;
  /** Messages to handle in this run, over all queues. @default unlimited */
  readonly max?: number;
  /**
   * How long a received message stays invisible: long enough for the whole run, since failed
   * messages are released only at its end. @default 900 (the Lambda maximum timeout)
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling on each receive; the last, empty receive waits this long. @default 2 */
  readonly waitTimeSeconds?: number;
}

/** What a dead-lettered message holds, as the handler takes it (any path but an SQS batch). */
export type DeliveredEvent = SNSEvent | S3Event | EventBridgeEvent<string, unknown>;

/** A message body, recognised. */
export type ParsedMessage =
  | {
      readonly kind: 'invocation-record';
      readonly event: DeliveredEvent;
      readonly requestId?: string;
      readonly condition?: string;
      readonly approximateInvokeCount?: number;
      /** Why the Lambda failed, from `responsePayload`. */
      readonly lastError?: string;
    }
  | { readonly kind: 'sns-notification'; readonly event: SNSEvent; readonly lastError?: string }
  /** A body an S3 event notification, EventBridge or CloudTrail put in a queue as it is. */
  | { readonly kind: 'raw-notification'; readonly event: DeliveredEvent; readonly lastError?: string }
  | { readonly kind: 'unrecognised'; readonly reason: string };

export type RedriveStatus = 'redriven' | 'failed' | 'unrecognised' | 'pending';

export interface RedriveOutcome {
  readonly queue: QueueRole;
  readonly messageId: string;
  readonly kind: ParsedMessage['kind'];
  /** `redriven`: handled and deleted. `failed`/`unrecognised`: left in the queue. `pending`: dry run. */
  readonly status: RedriveStatus;
  /** The log files the notification names. */
  readonly keys: readonly string[];
  /** Why the original delivery failed, when the message says. */
  readonly lastError?: string;
  /** Why it is still failing (or unrecognised). */
  readonly reason?: string;
  /** Per-file failures of this attempt. */
  readonly failedFiles: readonly { key: string; reason: string }[];
  /** Events written by this attempt, per eventSource. */
  readonly eventsIndexed: Readonly<Record<string, number>>;
  readonly alertsPublished: number;
  readonly receiveCount?: number;
}

export interface RedriveReport {
  readonly dryRun: boolean;
  readonly outcomes: readonly RedriveOutcome[];
  readonly redriven: number;
  readonly stillFailing: number;
  readonly unrecognised: number;
  /** Whether `max` stopped the run before the queues were empty. */
  readonly truncated: boolean;
}

export class RedriveError extends Error {
  override readonly name = 'RedriveError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export async function runRedrive(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveReport> {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (!(max >= 1)) throw new RedriveError(`max must be at least 1, not ${max}`);
  const visibilityTimeout = options.visibilityTimeoutSeconds ?? 900;
  const waitTime = options.waitTimeSeconds ?? 2;
  const dryRun = options.dryRun === true;
  const outcomes: RedriveOutcome[] = [];
  let truncated = false;

  for (const queue of options.queues) {
    // Receipt handles of messages to release at the end, by message id (a later receive's handle wins).
    const keep = new Map<string, string>();
    const seen = new Set<string>();
    try {
      for (;;) {
        if (outcomes.length >= max) {
          truncated = true;
          break;
        }
        const { Messages = [] } = await deps.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(SQS_BATCH_MAX_ENTRIES, max - outcomes.length),
            VisibilityTimeout: visibilityTimeout,
            WaitTimeSeconds: waitTime,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
        );
        if (Messages.length === 0) break;
        let fresh = 0;
        for (const message of Messages) {
          const id = message.MessageId ?? '';
          if (seen.has(id)) {
            // Its visibility ran out during this run: already reported, only release it again.
            if (message.ReceiptHandle !== undefined) keep.set(id, message.ReceiptHandle);
            continue;
          }
          seen.add(id);
          fresh += 1;
          if (outcomes.length >= max) {
            if (message.ReceiptHandle !== undefined) keep.set(id, message.ReceiptHandle);
            truncated = true;
            continue;
          }
          const outcome = await redriveMessage(deps, queue, message, dryRun);
          outcomes.push(outcome);
          if (outcome.status !== 'redriven' && message.ReceiptHandle !== undefined) {
            keep.set(id, message.ReceiptHandle);
          }
        }
        if (fresh === 0) break;
      }
    } finally {
      await release(deps.sqs, queue.url, keep);
    }
  }

  return {
    dryRun,
    outcomes,
    redriven: outcomes.filter((o) => o.status === 'redriven').length,
    stillFailing: outcomes.filter((o) => o.status === 'failed').length,
    unrecognised: outcomes.filter((o) => o.status === 'unrecognised').length,
    truncated,
  };
}

async function redriveMessage(
  deps: RedriveDeps,
  queue: RedriveQueue,
  message: Message,
  dryRun: boolean,
): Promise<RedriveOutcome> {
  const parsed = parseRedriveMessage(message.Body, message.MessageAttributes);
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount);
  const base = {
    queue: queue.role,
    messageId: message.MessageId ?? '(no id)',
    kind: parsed.kind,
    failedFiles: [],
    eventsIndexed: {},
    alertsPublished: 0,
    ...(Number.isFinite(receiveCount) ? { receiveCount } : {}),
  };
  if (parsed.kind === 'unrecognised') {
    return { ...base, status: 'unrecognised', keys: [], reason: parsed.reason };
  }
  const withEvent = {
    ...base,
    keys: keysOf(parsed.event),
    ...(parsed.lastError === undefined ? {} : { lastError: parsed.lastError }),
  };
  if (dryRun) return { ...withEvent, status: 'pending' };

  let summary: NotificationSummary;
  try {
    summary = await deps.handle(parsed.event);
  } catch (err) {
    const files = err instanceof IndexingFailedError ? err.summary.files : [];
    const failedFiles = files
      .filter((f) => f.status === 'failed')
      .map((f) => ({ key: f.key, reason: f.reason ?? 'unknown reason' }));
    return {
      ...withEvent,
      ...totals(files),
      status: 'failed',
      reason: failedFiles.length > 0 ? `${failedFiles.length} file(s) failed` : messageOf(err),
      failedFiles,
    };
  }
  if (message.ReceiptHandle === undefined) {
    return {
      ...withEvent,
      ...totals(summary.files),
      status: 'failed',
      reason: 'message has no receipt handle',
    };
  }
  await deps.sqs.send(
    new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
  );
  return { ...withEvent, ...totals(summary.files), status: 'redriven' };
}

/** Recognises a message body: a Lambda invocation record, an SNS envelope, or neither. */
export function parseRedriveMessage(
  body: string | undefined,
  attributes?: Record<string, MessageAttributeValue>,
): ParsedMessage {
  if (body === undefined) return { kind: 'unrecognised', reason: 'message has no body' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: 'unrecognised', reason: `body is not JSON: ${preview(body)}` };
  }
  if (!isObject(value))
    return { kind: 'unrecognised', reason: `body is not a JSON object: ${preview(body)}` };

  if ('requestPayload' in value && isObject(value.requestContext)) {
    const event = asDeliveredEvent(value.requestPayload);
    if (event === undefined) {
      return {
        kind: 'unrecognised',
        reason: 'invocation record whose requestPayload is not an SNS, S3 or EventBridge event',
      };
    }
    const context = value.requestContext;
    const requestId = stringField(context, 'requestId');
    const condition = stringField(context, 'condition');
    const count = context.approximateInvokeCount;
    const lastError = lambdaError(value.responsePayload);
    return {
      kind: 'invocation-record',
      event,
      ...(requestId === undefined ? {} : { requestId }),
      ...(condition === undefined ? {} : { condition }),
      ...(typeof count === 'number' ? { approximateInvokeCount: count } : {}),
      ...(lastError === undefined ? {} : { lastError }),
    };
  }

  if (value.Type === 'Notification') {
    let record: SNSEventRecord;
    try {
      record = snsRecordFromSqsBody(value);
    } catch (err) {
      return { kind: 'unrecognised', reason: `SNS envelope: ${messageOf(err)}` };
    }
    // Why SNS gave up, when it says: the ErrorCode/ErrorMessage attributes of dead-lettered messages
    // (unverified in AWS's docs, so optional).
    const code = attributes?.ErrorCode?.StringValue;
    const text = attributes?.ErrorMessage?.StringValue;
    const lastError = [code, text].filter((s) => s !== undefined && s !== '').join(': ');
    return {
      kind: 'sns-notification',
      event: { Records: [record] },
      ...(lastError === '' ? {} : { lastError }),
    };
  }

  // From the queue of the s3-sqs path, or an EventBridge target's dead-letter queue: the body as sent.
  const raw = asDeliveredEvent(value);
  if (raw !== undefined) return { kind: 'raw-notification', event: raw };
  if (typeof value.s3Bucket === 'string') {
    return {
      kind: 'raw-notification',
      event: { Records: [{ Sns: { Message: body, MessageId: 'raw' } }] } as unknown as SNSEvent,
    };
  }

  return {
    kind: 'unrecognised',
    reason: `neither a Lambda invocation record, an SNS notification, an S3 event nor an EventBridge event: ${preview(body)}`,
  };
}

/** The S3 keys the notification names, for the report (the handler does the real parsing). */
function keysOf(event: DeliveredEvent): string[] {
  return notificationsOf(event).flatMap((n) => (n.kind === 'log-files' ? [...n.keys] : []));
}

/** An SNS, S3 or EventBridge event as the handler takes it; undefined for anything else. */
function asDeliveredEvent(value: unknown): DeliveredEvent | undefined {
  if (isObject(value) && typeof value['detail-type'] === 'string') {
    return value as unknown as EventBridgeEvent<string, unknown>;
  }
  if (
    isObject(value) &&
    Array.isArray(value.Records) &&
    value.Records.length > 0 &&
    value.Records.every((r: unknown) => isObject(r) && r.eventSource === 'aws:s3')
  ) {
    return value as unknown as S3Event;
  }
  return asSnsEvent(value);
}

/** Narrows a Lambda `requestPayload` to an SNS event: `Records[]` each with `Sns.Message`. */
function asSnsEvent(value: unknown): SNSEvent | undefined {
  if (!isObject(value) || !Array.isArray(value.Records) || value.Records.length === 0) return undefined;
  const ok = value.Records.every(
    (r: unknown) => isObject(r) && isObject(r.Sns) && typeof r.Sns.Message === 'string',
  );
  return ok ? (value as unknown as SNSEvent) : undefined;
}

function lambdaError(payload: unknown): string | undefined {
  if (!isObject(payload)) return typeof payload === 'string' ? payload : undefined;
  const type = stringField(payload, 'errorType');
  const message = stringField(payload, 'errorMessage');
  const text = [type, message].filter((s) => s !== undefined && s !== '').join(': ');
  return text === '' ? undefined : text;
}

function totals(files: readonly FileResult[]): {
  eventsIndexed: Record<string, number>;
  alertsPublished: number;
} {
  const eventsIndexed: Record<string, number> = {};
  for (const file of files) {
    for (const [source, n] of Object.entries(file.eventsIndexed)) {
      eventsIndexed[source] = (eventsIndexed[source] ?? 0) + n;
    }
  }
  return { eventsIndexed, alertsPublished: files.reduce((n, f) => n + f.alertsPublished, 0) };
}

/** Makes kept messages visible again, ten per request (the SQS batch limit). */
async function release(sqs: SQSClient, queueUrl: string, keep: Map<string, string>): Promise<void> {
  const handles = [...keep.values()];
  for (let i = 0; i < handles.length; i += 10) {
    const batch = handles.slice(i, i + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((ReceiptHandle, n) => ({
          Id: String(i + n),
          ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(object: Record<string, unknown>, field: string): string | undefined {
  const value = object[field];
  return typeof value === 'string' ? value : undefined;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.name !== 'Error' && !err.message.startsWith(err.name)
    ? `${err.name}: ${err.message}`
    : err.message;
}
