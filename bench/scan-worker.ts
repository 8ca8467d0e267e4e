/**
 * One scan measurement, run in a fresh child process so that its peak RSS is its own:
 * `node scan-worker.js <method> <file>` prints one JSON line (a {@link ScanMeasurement}).
 *
 * - `gunzip`: streaming gunzip of the file alone, the floor for any indexer.
 * - `scanner`: `scanLogFile`, the indexer's core, from compressed bytes to selected records.
 * - `naive`: `gunzipSync` + `JSON.parse` + filter, what a straightforward indexer would do.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
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

/** S3 hands the body over in socket-sized chunks; read the file the same way. */
const READ_CHUNK = 64 * 1024;
const sources: ReadonlySet<string> = new Set(DEFAULT_INDEXED_SOURCES);

function digestOf(records: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const record of records) hash.update(JSON.stringify(record)).update('\n');
  return hash.digest('hex');
}

async function gunzipOnly(path: string): Promise<Partial<ScanMeasurement>> {
  let bytes = 0;
  const start = performance.now();
  // The floor at its best: read and inflate in 1 MiB pieces (the fastest of the sizes tried), while
  // the scanner is given the socket-sized chunks of an S3 body.
  const gunzip = createReadStream(path, { highWaterMark: 1024 * 1024 }).pipe(
    createGunzip({ chunkSize: 1024 * 1024 }),
  );
  for await (const chunk of gunzip) bytes += (chunk as Buffer).length;
  return {
    ms: performance.now() - start,
    stats: { compressedBytes: 0, decompressedBytes: bytes, recordsScanned: 0, recordsSelected: 0 },
  };
}

async function scanner(path: string): Promise<Partial<ScanMeasurement>> {
  const records: unknown[] = [];
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const start = performance.now();
  for await (const selected of scanLogFile(
    createReadStream(path, { highWaterMark: READ_CHUNK }),
    sources,
    stats,
  )) {
    records.push(selected.record);
  }
  const ms = performance.now() - start;
  return { ms, selected: records.length, digest: digestOf(records), stats };
}

function naive(path: string): Partial<ScanMeasurement> {
  const start = performance.now();
  const text = gunzipSync(readFileSync(path)).toString('utf8');
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
  const [method, path] = process.argv.slice(2) as [ScanMethod, string];
  let result: ScanMeasurement;
  try {
    const cpuStart = process.cpuUsage();
    const measured =
      method === 'gunzip' ? await gunzipOnly(path) : method === 'scanner' ? await scanner(path) : naive(path);
    const cpu = process.cpuUsage(cpuStart);
    result = { method, ok: true, ...measured, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: maxRssMiB() };
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    result = { method, ok: false, error, maxRssMiB: maxRssMiB() };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
