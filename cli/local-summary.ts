/**
 * What `trail-index local` prints when it is done: the files, the events per service and event
 * name, every alert in full, and `query` commands that work on the result.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FileResult } from '../lambdas/indexer/handler';
import { safeLines, safeText } from '../lambdas/shared/safe-text';
import { IndexedEventSummary } from '../lambdas/shared/schema';
import type { LocalRunResult } from './local-pipeline';
import type { LocalIntegrity } from './local-verify';
import { planQuery } from './query-plan';
import { queryEvents } from './query';
import { shortServiceName } from './services';

/** Account and region of a log-file key, from CloudTrail's layout. */
export function locationOfKey(key: string): { account: string; region: string } | undefined {
  const match = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/CloudTrail\/([\w-]+)\//.exec(key);
  return match?.[1] !== undefined && match[2] !== undefined
    ? { account: match[1], region: match[2] }
    : undefined;
}

/** The indexed events of the given accounts and regions, through the byLocation index. */
export async function eventsAt(
  client: DynamoDBClient,
  tableName: string,
  keys: readonly string[],
): Promise<IndexedEventSummary[]> {
  const locations = new Map<string, { account: string; region: string }>();
  for (const key of keys) {
    const location = locationOfKey(key);
    if (location !== undefined) locations.set(`${location.account}/${location.region}`, location);
  }
  const events: IndexedEventSummary[] = [];
  for (const location of locations.values()) {
    const plan = planQuery(location);
    for await (const event of queryEvents(client, tableName, plan, { limit: Number.MAX_SAFE_INTEGER })) {
      events.push(event);
    }
  }
  return events;
}

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`;

function table(unsafeRows: readonly (readonly string[])[], indent = '  '): string {
  const rows = unsafeRows.map((r) => r.map(safeText));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd(),
    )
    .join('\n');
}

/** Above this many files, the summary lists only those not indexed. */
const MAX_LISTED_FILES = 25;

export interface SummaryInput {
  readonly logsDir: string;
  readonly totalBytes: number;
  readonly run: LocalRunResult;
  /** What the digest verifier found. */
  readonly integrity?: LocalIntegrity;
  /** Events of the logs' accounts and regions in the index, before and after the run. */
  readonly before: readonly IndexedEventSummary[];
  readonly after: readonly IndexedEventSummary[];
  /** How `query` reaches this index: `--local` or `--local --data DIR`. */
  readonly queryTarget: string;
  readonly dataDir: string;
  readonly indexerLog: string;
}

export function formatSummary(input: SummaryInput): string {
  const { run } = input;
  const byStatus = (status: FileResult['status']) => run.files.filter((f) => f.status === status);
  const indexed = byStatus('indexed');
  const skipped = byStatus('skipped');
  const failed = byStatus('failed');
  const written = run.files.reduce(
    (sum, f) => sum + Object.values(f.eventsIndexed).reduce((a, b) => a + b, 0),
    0,
  );
  const scanned = run.files.reduce((sum, f) => sum + f.recordsScanned, 0);
  const known = new Set(input.before.map((e) => e.eventID));
  const added = input.after.filter((e) => !known.has(e.eventID)).length;
  const out: string[] = [];

  out.push(
    `Log files: ${run.files.length} from ${input.logsDir} (${size(input.totalBytes)}) in ${run.notifications} notification${run.notifications === 1 ? '' : 's'}: ` +
      `${indexed.length} indexed, ${skipped.length} skipped, ${failed.length} failed`,
  );
  // Every file when there are few; otherwise only those that were not indexed.
  const listed = run.files.length <= MAX_LISTED_FILES ? run.files : [...failed, ...skipped];
  const fileRows = listed.map((f) => [
    f.status,
    f.key,
    f.status === 'indexed'
      ? `${f.recordsScanned} record${f.recordsScanned === 1 ? '' : 's'}, ${sum(f.eventsIndexed)} indexed`
      : (f.reason ?? ''),
  ]);
  if (fileRows.length > 0) out.push(table(fileRows));
  if (listed.length < run.files.length) out.push(`  (${indexed.length} indexed files not listed)`);
  if (run.skippedMessages > 0)
    out.push(
      `  ${run.skippedMessages} notification(s) were not CloudTrail log-file notices and were skipped`,
    );
  for (const error of run.invocationErrors) out.push(`  invocation failed: ${error}`);
  if (run.files.length > 0 && indexed.length === 0 && failed.length === 0) {
    out.push(
      '  No file was at a CloudTrail log-file key (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/...):\n' +
        '  sync from the bucket root, or pass --logs the folder that contains AWSLogs/.',
    );
  }

  out.push('');
  const again = Math.max(written - added, 0);
  out.push(
    `Events: ${scanned} records read, ${written} Glacier/Support events written, ${added} new in the index` +
      (again > 0 ? ` (${again} were already there${added === 0 ? ': the index did not change' : ''}).` : '.'),
  );
  const tally = new Map<string, { service: string; event: string; count: number; failed: number }>();
  for (const e of input.after) {
    const id = `${e.eventSource} ${e.eventName}`;
    const row = tally.get(id) ?? {
      service: shortServiceName(e.eventSource),
      event: e.eventName,
      count: 0,
      failed: 0,
    };
    row.count += 1;
    if (e.errorCode !== undefined) row.failed += 1;
    tally.set(id, row);
  }
  if (tally.size > 0) {
    const rows = [...tally.values()].sort(
      (a, b) => a.service.localeCompare(b.service) || a.event.localeCompare(b.event),
    );
    out.push(`In the index for these logs' accounts and regions: ${input.after.length} events`);
    out.push(
      table([
        ['SERVICE', 'EVENT', 'EVENTS', 'FAILED'],
        ...rows.map((r) => [r.service, r.event, String(r.count), r.failed === 0 ? '' : String(r.failed)]),
      ]),
    );
  }

  if (input.integrity !== undefined) out.push('', ...integrityLines(input.integrity));

  out.push('');
  if (run.alerts.length === 0) {
    out.push(
      'Alerts: none published in this run' +
        (input.after.some((e) => e.eventName === 'DeleteVault')
          ? ' (each vault deletion is alerted once, and these were alerted before)'
          : '') +
        '.',
    );
  } else {
    out.push(`Alerts: ${run.alerts.length} published to the alert topic`);
    for (const alert of run.alerts) {
      out.push('');
      out.push(`  Subject: ${alert.subject ?? '(none)'}`);
      const attributes = Object.entries(alert.attributes)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      if (attributes !== '') out.push(`  Attributes: ${attributes}`);
      out.push(...alert.message.split('\n').map((line) => `  ${line}`.trimEnd()));
    }
  }

  const examples = exampleQueries(input.after, input.queryTarget);
  if (examples.length > 0) {
    out.push('');
    out.push('Try:');
    out.push(...examples.map((e) => `  ${e}`));
  }
  out.push('');
  out.push(`Index kept in ${input.dataDir}; the indexer's JSON logs are in ${input.indexerLog}.`);
  // Record text (names, user agents, error messages) is attacker-chosen: escaped line by line.
  return `${out.map(safeLines).join('\n')}\n`;
}

/** The verifier's verdicts: digests checked in this run, and the state of each file indexed. */
function integrityLines(integrity: LocalIntegrity): string[] {
  const { files } = integrity;
  const states = [
    `${files.verified} verified`,
    `${files.pending} pending (no digest lists them)`,
    ...(files.invalid > 0 ? [`${files.invalid} INVALID`] : []),
    ...(files.missing > 0 ? [`${files.missing} MISSING`] : []),
  ].join(', ');
  if (integrity.report === undefined) {
    return [`Integrity: not verified (${integrity.skipped ?? 'no digests'}). Log files indexed: ${states}.`];
  }
  const r = integrity.report;
  const bad = r.digestsInvalid + r.digestsMissing;
  if (r.digestsVerified === 0 && bad === 0 && r.findings.length === 0) {
    return [
      `Integrity: no new digest (those in the folder were verified in an earlier run). Log files indexed: ${states}.`,
    ];
  }
  const lines = [
    `Integrity: ${r.digestsVerified} digest${r.digestsVerified === 1 ? '' : 's'} verified in this run` +
      `${bad > 0 ? `, ${bad} INVALID or MISSING` : ''}` +
      ` (CloudTrail's RSA signature, the chain, each listed file's SHA-256). Log files indexed: ${states}.`,
  ];
  if (r.findings.length > 0) {
    lines.push(table(r.findings.map((f) => [f.kind, f.object, f.detail])));
  }
  return lines;
}

function sum(counts: Readonly<Record<string, number>>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** `query` commands that return something on this index. */
export function exampleQueries(events: readonly IndexedEventSummary[], target: string): string[] {
  const q = (args: string) => `npx trail-index query ${target} ${args}`;
  const quote = (value: string) =>
    /^[\w@.:/+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
  const examples: string[] = [];
  const deletion = events.find((e) => e.eventName === 'DeleteVault');
  if (deletion !== undefined) examples.push(q('--event DeleteVault'));
  const vaultEvent =
    deletion?.vaultName !== undefined ? deletion : events.find((e) => e.vaultName !== undefined);
  if (vaultEvent?.vaultName !== undefined) {
    examples.push(
      q(
        `--vault ${quote(vaultEvent.vaultName)} --account ${vaultEvent.vaultAccountId ?? vaultEvent.recipientAccountId} --region ${vaultEvent.awsRegion}`,
      ),
    );
  }
  const failure = events.find((e) => e.errorCode !== undefined);
  if (failure !== undefined) {
    examples.push(q(`--principal ${quote(failure.principal)} --json`));
    examples.push(q(`--account ${failure.recipientAccountId} --region ${failure.awsRegion} --errors-only`));
  }
  const supportCase = events.find((e) => e.caseId !== undefined);
  if (supportCase?.caseId !== undefined) examples.push(q(`--case ${quote(supportCase.caseId)} --full`));
  const support = events.find((e) => e.eventSource === 'support.amazonaws.com');
  if (support !== undefined && supportCase === undefined) {
    examples.push(
      q(`--account ${support.recipientAccountId} --region ${support.awsRegion} --service support`),
    );
  }
  if (examples.length === 0 && events[0] !== undefined) {
    examples.push(q(`--account ${events[0].recipientAccountId} --region ${events[0].awsRegion}`));
  }
  const oldest = events.reduce<string | undefined>(
    (min, e) => (min === undefined || e.eventTime < min ? e.eventTime : min),
    undefined,
  );
  if (oldest !== undefined && deletion !== undefined) {
    examples.push(
      q(`--event DeleteVault --since ${oldest.slice(0, 10)} --until ${deletion.eventTime.slice(0, 10)}`),
    );
  }
  return examples;
}
