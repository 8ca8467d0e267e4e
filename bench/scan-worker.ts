/**
 * One scan measurement, run in a fresh child process so that its peak RSS is its own:
 * `node scan-worker.js <method> <file>` prints one JSON line (a {@link ScanMeasurement}).
 *
 * - `gunzip`: streaming gunzip of the file alone, the floor for any indexer.
 * - `scanner`: `scanLogFile`, the indexer's core, from compressed bytes to selected records.
 * - `naive`: `gunzipSync` + `JSON.parse` + filter, what a straightforward indexer would do.
 */
import { createHash } from 'node:crypto';
import { createGunzip, gunzipSync } from 'node:zlib';
import { body } from './http-body';
import { DEFAULT_INDEXED_SOURCES } from '../lambdas/shared/config';
import { scanLogFile, type ScanStats } from '../lambdas/indexer/log-scanner';

export type ScanMethod = 'gunzip' | 'scanner' | 'naive';

export interface ScanMeasurement {
  readonly method: ScanMethod;
  readonly ok: boolean;
  /** Wall time of the processing alone (not the process start). */
  readonly ms?: number;
  /** CPU time (user + system, all threads: zlib inflates on the libuv pool) of the processing. */
  readonly cpuMs?: number;
  readonly selected?: number;
  /** SHA-256 over the selected records, re-serialised, in file order: equal sets give equal digests. */
  readonly digest?: string;
  readonly stats?: ScanStats;
  /** Peak resident set size of the process, MiB. */
  readonly maxRssMiB: number;
  readonly error?: string;
}

const sources: ReadonlySet<string> = new Set(DEFAULT_INDEXED_SOURCES);

function digestOf(records: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(JSON.stringify(record)).update('\n');
  return hash.digest('hex');
}

async function gunzipOnly(url: string): Promise<Partial<ScanMeasurement>> {
  let bytes = 0;
  const start = performance.now();
  // The floor at its best: 1 MiB output chunks, the fastest of the sizes tried.
  const gunzip = (await body(url)).pipe(createGunzip({ chunkSize: 1024 * 1024 }));
  for await (const chunk of gunzip) bytes += (chunk as Buffer).length;
  return {
    ms: performance.now() - start,
    stats: { compressedBytes: 0, decompressedBytes: bytes, recordsScanned: 0, recordsSelected: 0 },
  };
}

async function scanner(url: string): Promise<Partial<ScanMeasurement>> {
  const records: unknown[] = [];
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const start = performance.now();
  for await (const selected of scanLogFile(await body(url), sources, stats)) {
    records.push(selected.record);
  }
  const ms = performance.now() - start;
  return { ms, selected: records.length, digest: digestOf(records), stats };
}

async function naive(url: string): Promise<Partial<ScanMeasurement>> {
  const start = performance.now();
  const compressed: Buffer[] = [];
  for await (const chunk of await body(url)) compressed.push(chunk as Buffer);
  const text = gunzipSync(Buffer.concat(compressed)).toString('utf8');
  const parsed = JSON.parse(text) as { Records: { eventSource?: unknown }[] };
  const records = parsed.Records.filter(
    (r) => typeof r.eventSource === 'string' && sources.has(r.eventSource),
  );
  const ms = performance.now() - start;
  return { ms, selected: records.length, digest: digestOf(records) };
}

function maxRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const [method, url] = process.argv.slice(2) as [ScanMethod, string];
  let result: ScanMeasurement;
  try {
    const cpuStart = process.cpuUsage();
    const measured =
      method === 'gunzip'
        ? await gunzipOnly(url)
        : method === 'scanner'
          ? await scanner(url)
          : await naive(url);
    const cpu = process.cpuUsage(cpuStart);
    result = { method, ok: true, ...measured, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: maxRssMiB() };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    result = { method, ok: false, error, maxRssMiB: maxRssMiB() };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
