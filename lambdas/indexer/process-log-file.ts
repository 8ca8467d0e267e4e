/**
 * Indexes one log file: classify the key, stream and scan the body, write the selected events in
 * bounded groups, then publish the alerts their rules call for. Used by the Lambda handler, the
 * CLI's backfill and local mode alike.
 */
import { MAX_RECORD_BYTES } from '../shared/aws-limits';
import {
  buildCaseLinkItems,
  buildEventItem,
  type CaseLinkItem,
  type EventItem,
  estimateItemSize,
} from '../shared/event-item';
import { type AlertMessage, formatAlert } from '../shared/alert-message';
import { type AlertRule, DEFAULT_ALERT_RULES, matchingRules, type OwnResources } from '../shared/alert-rules';
import type { AlertPublisher } from './alert-publisher';
import { type MatchedRule, raise, toMatches } from './alerting';
import type { RateCounter } from './rate-counter';
import type { IndexerConfig } from './config';
import { UnreadableFileError } from './errors';
import type { IndexWriter } from './index-writer';
import { LogFileError, scanLogFile, ScanStats } from './log-scanner';
import { refusalOf } from './log-source';
import { classifyKey } from './notification';
import { logger } from './observability';
import type { LogReader } from './s3-log-reader';
import type { FileResult } from './types';
import type { IntegrityStore } from '../verifier/integrity-store';
import { integrityAlert } from '../verifier/integrity-alerts';

export interface IndexerDeps {
  readonly config: IndexerConfig;
  readonly reader: LogReader;
  readonly writer: IndexWriter;
  readonly alerts: AlertPublisher;
  /** Where each log file's SHA-256 is recorded for the digest verifier; none: not recorded. */
  readonly integrity?: IntegrityStore;
  /** Counts rate rules' events; none: rate rules are not applied. */
  readonly rates?: RateCounter;
  /** @default config.rules, else DEFAULT_ALERT_RULES */
  readonly rules?: readonly AlertRule[];
}

export interface ProcessOptions {
  /** Publish alerts (backfill can turn them off). @default true */
  readonly alerts?: boolean;
  /** Epoch ms after which writes give up (the invocation's end minus a margin). */
  readonly deadline?: number;
}

/** Items buffered before a write: bounded by count and bytes, so memory stays flat. */
const FLUSH_ITEMS = 200;
const FLUSH_BYTES = 4 * 1024 * 1024;

/**
 * Never throws for a broken file (it returns `failed` with the reason, after indexing what it could
 * read); throws for infrastructure errors (DynamoDB, SNS, time out), which a retry can fix.
 */
export async function processLogFile(
  deps: IndexerDeps,
  file: { readonly bucket: string; readonly key: string },
  options: ProcessOptions = {},
): Promise<FileResult> {
  const { bucket, key } = file;
  const kind = classifyKey(key);
  const eventsIndexed: Record<string, number> = {};
  const eventNames: Record<string, number> = {};
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const alerts: { message: AlertMessage; expiresAt: number | undefined }[] = [];
  const matches: MatchedRule[] = [];
  const integrityAlerts: { message: AlertMessage; expiresAt: number | undefined }[] = [];
  let writeRetries = 0;
  const result = (status: FileResult['status'], reason?: string, alertsPublished = 0): FileResult => ({
    bucket,
    key,
    kind,
    status,
    ...(reason === undefined ? {} : { reason }),
    recordsScanned: stats.recordsScanned,
    eventsIndexed,
    eventNames,
    alertsPublished,
    alerts: alerts.map((a) => a.message),
    writeRetries,
    decompressedBytes: stats.decompressedBytes,
  });

  // Another bucket is refused whatever the key; in the trail bucket, only log files are read, so
  // only they need to be under the prefix.
  const refusal = refusalOf(deps.config.logSource, file);
  if (refusal !== undefined && (refusal.reason === 'untrusted-bucket' || kind === 'log')) {
    // Never read and never alerted on: the message may have been planted.
    logger.error('Refused a log file outside the trail bucket and prefix', {
      s3Bucket: bucket,
      s3Key: key,
      reason: refusal.reason,
      detail: refusal.message,
      trailBucket: deps.config.logSource.bucket,
      trailPrefix: deps.config.logSource.prefix,
    });
    return result('failed', refusal.reason);
  }
  if (kind !== 'log') return result('skipped', `${kind}-file`);
  // An organization's bucket holds every member's files; only the accounts asked for are read.
  const accounts = deps.config.indexedAccounts;
  if (accounts !== undefined && !accounts.has(accountOfKey(key) ?? '')) {
    return result('skipped', 'account-not-indexed');
  }

  const rules = deps.rules ?? deps.config.rules ?? DEFAULT_ALERT_RULES;
  const own: OwnResources = deps.config.own ?? {};
  // Records of the indexed sources are indexed; records of the alert rules' other sources (the
  // trail, its bucket and key, this pipeline) only when a rule matches them.
  const indexed = deps.config.indexedSources;
  const scanned = new Set([...indexed, ...rules.map((rule) => rule.eventSource)]);
  const nameFilters = ruleNameFilters(rules, indexed);
  const indexedAt = new Date();
  let buffer: (EventItem | CaseLinkItem)[] = [];
  let bufferBytes = 0;
  const flush = async () => {
    if (buffer.length === 0) return;
    const items = buffer;
    buffer = [];
    bufferBytes = 0;
    const written = await deps.writer.write(
      items,
      options.deadline === undefined ? {} : { deadline: options.deadline },
    );
    writeRetries += written.retries;
    for (const item of items) {
      if (!isEventItem(item)) continue;
      eventsIndexed[item.eventSource] = (eventsIndexed[item.eventSource] ?? 0) + 1;
      eventNames[item.eventName] = (eventNames[item.eventName] ?? 0) + 1;
    }
  };

  let broken: string | undefined;
  let body: AsyncIterable<Uint8Array> | undefined;
  try {
    body = await deps.reader.open(bucket, key);
    for await (const { record, raw } of scanLogFile(body, scanned, stats, nameFilters)) {
      const source = record.eventSource;
      const indexedSource = typeof source === 'string' && indexed.has(source);
      const hit = matchingRules(rules, record, own);
      // A record of a rule's source that no rule wants (another function, another bucket): no item.
      if (!indexedSource && hit.length === 0) continue;
      const item = buildEventItem(record, {
        logBucket: bucket,
        logKey: key,
        indexedAt,
        raw,
        ...(deps.config.retentionDays === undefined ? {} : { retentionDays: deps.config.retentionDays }),
      });
      matches.push(...toMatches(hit, record, item, item.expiresAt));
      for (const extra of [item, ...buildCaseLinkItems(item)]) {
        buffer.push(extra);
        bufferBytes += estimateItemSize(extra);
      }
      if (buffer.length >= FLUSH_ITEMS || bufferBytes >= FLUSH_BYTES) await flush();
    }
  } catch (err) {
    if (!(err instanceof LogFileError) && !(err instanceof UnreadableFileError)) throw err;
    broken = err.reason;
    logger.error('Broken log file', { s3Bucket: bucket, s3Key: key, reason: err.reason, error: err });
  } finally {
    // A file abandoned half-read would otherwise hold its HTTP connection until garbage collection.
    release(body);
  }
  // What was read before a file turned out broken is indexed (and alerted) too.
  await flush();
  const tooLarge = stats.recordsTooLarge ?? 0;
  if (tooLarge > 0) {
    // Skipped unread (see MAX_RECORD_BYTES): the rest of the file is indexed. One that may be of an
    // indexed source could not be indexed, so the file fails for an operator to look at.
    const candidates = stats.candidatesTooLarge ?? 0;
    const details = {
      s3Bucket: bucket,
      s3Key: key,
      recordsTooLarge: tooLarge,
      mayBeIndexedSource: candidates,
      largestRecordBytes: stats.largestRecordBytes,
      limitBytes: MAX_RECORD_BYTES,
    };
    if (candidates > 0) {
      logger.error('Records too large to index were skipped; the rest of the file was indexed', details);
      broken ??= 'record-too-large';
    } else {
      logger.warn('Records too large to read, of other services, were skipped', details);
    }
  }

  // The file's hash, for the digest that lists it. A file already verified whose hash is now
  // different was replaced after CloudTrail's digest signed it: invalid, and alerted.
  if (broken === undefined && stats.sha256 !== undefined && deps.integrity !== undefined) {
    const state = await deps.integrity.recordHash({ bucket, key, sha256: stats.sha256 });
    if (state.expectedSha256 !== undefined && state.expectedSha256.toLowerCase() !== stats.sha256) {
      await deps.integrity.setLogFileVerdict(
        { bucket, key },
        {
          integrity: 'invalid',
          reason: "hash value doesn't match",
          expectedSha256: state.expectedSha256,
          digestKey: state.digestKey ?? '',
        },
      );
      const where = /AWSLogs\/(?:o-[^/]+\/)?(\d{12})\/CloudTrail\/([^/]+)\//.exec(key);
      integrityAlerts.push({
        message: integrityAlert('log-file-invalid', {
          accountId: where?.[1] ?? 'unknown',
          region: where?.[2] ?? 'unknown',
          object: `s3://${bucket}/${key}`,
          detail: "hash value doesn't match: the file changed after its digest was verified",
          ...(state.digestKey === undefined ? {} : { digest: `s3://${bucket}/${state.digestKey}` }),
        }),
        expiresAt: undefined,
      });
    }
  }

  let published = 0;
  let inFlight = 0;
  if (options.alerts ?? true) {
    for (const match of matches) {
      const { outcome, message } = await raise(
        { publisher: deps.alerts, ...(deps.rates === undefined ? {} : { rates: deps.rates }) },
        match,
        'log-file',
      );
      if (message !== undefined) alerts.push({ message, expiresAt: match.expiresAt });
      if (outcome === 'published') published += 1;
      if (outcome === 'in-flight') inFlight += 1;
      if (outcome !== 'below-threshold')
        logger.info('Alert', { ruleId: match.rule.id, eventID: match.facts.eventID, outcome });
    }
    for (const { message, expiresAt } of integrityAlerts) {
      alerts.push({ message, expiresAt });
      const outcome = await deps.alerts.publish(message, expiresAt === undefined ? {} : { expiresAt });
      if (outcome === 'published') published += 1;
      if (outcome === 'in-flight') inFlight += 1;
      logger.info('Alert', { ruleId: message.ruleId, eventID: message.eventID, outcome });
    }
  } else {
    // Not published (a backfill of history): reported all the same.
    for (const match of matches) {
      if (match.rule.rate === undefined)
        alerts.push({
          message: formatAlert(
            match.rule,
            match.facts,
            match.resource === undefined ? {} : { resource: match.resource },
          ),
          expiresAt: match.expiresAt,
        });
    }
    alerts.push(...integrityAlerts);
  }
  if (broken !== undefined) return result('failed', broken, published);
  if (inFlight > 0) return result('failed', 'alert-in-flight', published);
  return result('indexed', undefined, published);
}

/**
 * For each alert rule source that is not indexed, the event names its rules name (a prefix without
 * its `*`): only records that may have one of them are parsed.
 */
export function ruleNameFilters(
  rules: readonly AlertRule[],
  indexed: ReadonlySet<string>,
): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const rule of rules) {
    if (indexed.has(rule.eventSource)) continue;
    const names = filters.get(rule.eventSource) ?? [];
    names.push(...rule.eventNames.map((name) => name.replace(/\*$/, '')));
    filters.set(rule.eventSource, names);
  }
  return filters;
}

/** The account of a log file's key (`…AWSLogs/[o-id/]<account>/CloudTrail/…`). */
export function accountOfKey(key: string): string | undefined {
  return /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?(\d{12})\/CloudTrail\//.exec(key)?.[1];
}

function isEventItem(item: EventItem | CaseLinkItem): item is EventItem {
  return 'recordStorage' in item;
}

function release(body: AsyncIterable<Uint8Array> | undefined): void {
  if (body !== undefined && 'destroy' in body && typeof body.destroy === 'function') {
    (body as { destroy(): void }).destroy();
  }
}
