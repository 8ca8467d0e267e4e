/** Output of `query`: an aligned table for people, JSON lines for programs. */
import { IndexedEventSummary, PROJECTED_ATTRIBUTES } from '../lambdas/shared/schema';
import { jsonSafe, safeText } from '../lambdas/shared/safe-text';
import { shortServiceName } from './services';

const COLUMNS = [
  'TIME',
  'SERVICE',
  'EVENT',
  'OUTCOME',
  'PRINCIPAL',
  'VAULT/CASE',
  'SOURCE IP',
  'LOG FILE',
] as const;

/** How the LOG FILE column shows a file's integrity state: problems in capitals. */
const INTEGRITY_CELL: Readonly<Record<string, string>> = {
  verified: 'verified',
  pending: 'pending',
  invalid: 'INVALID',
  missing: 'MISSING',
};

/** An event with the integrity state of its log file, when known. */
export type EventWithIntegrity = IndexedEventSummary & { readonly integrity?: string };

function row(event: EventWithIntegrity): string[] {
  const resource =
    event.vaultName !== undefined
      ? `vault ${event.vaultName}`
      : event.caseId !== undefined
        ? `case ${event.caseId}`
        : '-';
  return [
    event.eventTime,
    shortServiceName(event.eventSource),
    event.eventName,
    event.errorCode === undefined ? 'ok' : `FAILED ${event.errorCode}`,
    event.principal || '-',
    resource,
    event.sourceIPAddress ?? '-',
    event.integrity === undefined ? '-' : (INTEGRITY_CELL[event.integrity] ?? event.integrity),
  ];
}

/** An aligned table with a header; the last column is not padded. */
export function formatTable(events: readonly EventWithIntegrity[]): string {
  // Record text is attacker-chosen: each cell is escaped, so it stays in its cell and cannot drive the terminal.
  const rows = [[...COLUMNS], ...events.map((event) => row(event).map(safeText))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** One JSON object: the indexed fields in a stable order, then the original record when given. */
export function formatJsonLine(event: EventWithIntegrity, record?: unknown): string {
  const out: Record<string, unknown> = {};
  const source = event as unknown as Record<string, unknown>;
  for (const attribute of PROJECTED_ATTRIBUTES) {
    if (source[attribute] !== undefined) out[attribute] = source[attribute];
  }
  // Whether the log file the event came from is proven CloudTrail's by its signed digest.
  if (event.integrity !== undefined) out.integrity = event.integrity;
  if (record !== undefined) out.record = record;
  return `${jsonSafe(JSON.stringify(out))}\n`;
}
