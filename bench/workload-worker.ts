/**
 * One warm-process run of the realistic mix, in a fresh child process:
 * `node workload-worker.js <method> <base-url> <name>...` reads every named file, one after the
 * other, as a warm Lambda handles its notifications, and prints one JSON line (a
 * {@link WorkloadMeasurement}). With one name it is the cold start: the first file of a new process.
 *
 * CPU time (user + system, all threads: zlib inflates on the libuv pool) is the primary figure,
 * because it is what a Lambda function at 1,024 MB (about 0.6 vCPU) pays for: there, inflating and
 * scanning cannot overlap as they do on this machine's two cores.
 */
import { createGunzip, gunzipSync } from 'node:zlib';
import { body } from './http-body';
import { DEFAULT_INDEXED_SOURCES } from '../lambdas/shared/config';
import { scanLogFile, type ScanStats } from '../lambdas/indexer/log-scanner';
import { ruleNameFilters } from '../lambdas/indexer/process-log-file';
import { resolveRules } from '../lambdas/shared/alert-rules';
import type { ScanMethod } from './scan-worker';

export interface WorkloadMeasurement {
  readonly method: ScanMethod | 'scanner-alerts';
  readonly files: number;
  readonly records: number;
  readonly selected: number;
  readonly jsonBytes: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  /** CPU time of the first file alone. */
  readonly firstFileCpuMs: number;
}

const sources: ReadonlySet<string> = new Set(DEFAULT_INDEXED_SOURCES);
// As the deployed indexer scans: the indexed sources, and the alert rules' other sources for the
// event names the rules name.
const alertRules = resolveRules();
const withAlertSources: ReadonlySet<string> = new Set([...sources, ...alertRules.map((r) => r.eventSource)]);
const nameFilters = ruleNameFilters(alertRules, sources);

type FileCount = { records: number; selected: number; jsonBytes: number };

async function gunzipOnly(url: string): Promise<FileCount> {
  let bytes = 0;
  for await (const chunk of (await body(url)).pipe(createGunzip({ chunkSize: 1024 * 1024 }))) {
    bytes += (chunk as Buffer).length;
  }
  return { records: 0, selected: 0, jsonBytes: bytes };
}

async function scanner(url: string, alerts = false): Promise<FileCount> {
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  // Drained for its side effects: the stats count what was scanned and selected.
  const body$ = await body(url);
  const scan = alerts
    ? scanLogFile(body$, withAlertSources, stats, nameFilters)
    : scanLogFile(body$, sources, stats);
  for await (const selected of scan) void selected;
  return {
    records: stats.recordsScanned,
    selected: stats.recordsSelected,
    jsonBytes: stats.decompressedBytes,
  };
}

async function naive(url: string): Promise<FileCount> {
  const compressed: Buffer[] = [];
  for await (const chunk of await body(url)) compressed.push(chunk as Buffer);
  const text = gunzipSync(Buffer.concat(compressed)).toString('utf8');
  const parsed = JSON.parse(text) as { Records: { eventSource?: unknown }[] };
  const selected = parsed.Records.filter(
    (r) => typeof r.eventSource === 'string' && sources.has(r.eventSource),
  );
  return { records: parsed.Records.length, selected: selected.length, jsonBytes: Buffer.byteLength(text) };
}

async function main(): Promise<void> {
  const [method, base, ...names] = process.argv.slice(2) as [
    ScanMethod | 'scanner-alerts',
    string,
    ...string[],
  ];
  const run =
    method === 'gunzip'
      ? gunzipOnly
      : method === 'scanner'
        ? (url: string) => scanner(url)
        : method === 'scanner-alerts'
          ? (url: string) => scanner(url, true)
          : naive;
  const total = { records: 0, selected: 0, jsonBytes: 0 };
  let firstFileCpuMs = 0;
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  for (const [k, name] of names.entries()) {
    const fileCpu = process.cpuUsage();
    const count = await run(`${base}/${name}`);
    if (k === 0) {
      const used = process.cpuUsage(fileCpu);
      firstFileCpuMs = (used.user + used.system) / 1000;
    }
    total.records += count.records;
    total.selected += count.selected;
    total.jsonBytes += count.jsonBytes;
  }
  const cpu = process.cpuUsage(cpuStart);
  const result: WorkloadMeasurement = {
    method,
    files: names.length,
    ...total,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs: performance.now() - wallStart,
    firstFileCpuMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
