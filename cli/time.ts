import { UsageError } from './errors';

const RELATIVE = /^(\d+)\s*(s|m|h|d|w)$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * CloudTrail writes `eventTime` as `YYYY-MM-DDTHH:MM:SSZ`, and the index sorts it as a string, so
 * bounds must have the same shape: milliseconds would sort `17.000Z` before `17Z`.
 */
export function toEventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * Parses `--since`/`--until`: an ISO-8601 time (`2026-11-20T10:00:00Z`, offsets allowed), a date
 * (`2026-11-20`, UTC), or a duration before `now` (`30m`, `24h`, `7d`, `2w`, `90s`).
 * A date alone means the start of that day, or its end when `endOfDay` is set (for `--until`,
 * so that `--until 2026-11-20` includes the 20th).
 */
export function parseTime(input: string, option: string, now: Date, endOfDay = false): string {
  const text = input.trim();
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, amount, unit] = relative;
    return toEventTime(new Date(now.getTime() - Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0)));
  }
  if (DATE_ONLY.test(text)) {
    const start = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(start.getTime())) throw invalid(input, option);
    return endOfDay ? `${text}T23:59:59Z` : toEventTime(start);
  }
  // Only ISO-like input reaches Date: it would otherwise accept "Nov 5" in the local time zone.
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return toEventTime(date);
  }
  throw invalid(input, option);
}

function invalid(input: string, option: string): UsageError {
  return new UsageError(
    `${option} "${input}" is not a time: use ISO-8601 (2026-11-20T10:00:00Z), a date (2026-11-20) or a duration before now (30m, 24h, 7d)`,
  );
}

/** Both bounds, checked for order. */
export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  now: Date = new Date(),
): { since?: string; until?: string } {
  const lower = since === undefined ? undefined : parseTime(since, '--since', now);
  const upper = until === undefined ? undefined : parseTime(until, '--until', now, true);
  if (lower !== undefined && upper !== undefined && lower > upper) {
    throw new UsageError(`--since ${lower} is after --until ${upper}`);
  }
  return {
    ...(lower === undefined ? {} : { since: lower }),
    ...(upper === undefined ? {} : { until: upper }),
  };
}
