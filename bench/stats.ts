/** Small helpers shared by the benchmark's parts. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 0 };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted[n - 1] ?? 0, runs: n };
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `median (min–max)` */
export function show(summary: Summary, digits = 2, unit = ''): string {
  if (summary.runs === 0) return 'n/a';
  const f = (v: number) => `${round(v, digits)}${unit}`;
  return `${f(summary.median)} (${f(summary.min)}–${f(summary.max)})`;
}

/** Runs a Node script in a fresh process and parses the JSON line it prints last. */
export async function runNode<T>(
  script: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[] } = {},
): Promise<T> {
  const { stdout } = await execFileAsync(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    env: options.env ?? process.env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? 'null') as T;
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
