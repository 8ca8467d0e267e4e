/**
 * `npm run bench`: the performance suite, each figure against a baseline measured in the same run. Not part of `npm test`.
 *
 * Generates (once, cached in bench/.data/) realistic CloudTrail files of ~1 MB, ~60 MB and ~600 MB,
 * builds the measured code with esbuild as the Lambda bundle is built, measures each item against
 * its baseline in the same run, prints a table and writes bench/results.json.
 */
import { cpus } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { coldStartBenchmark, type ColdStartResult } from './cold-start';
import { costPerMillion, type CostResult } from './cost';
import { e2eLatencyBenchmark, type E2eResult } from './e2e-latency';
import { backfillBenchmark, type BackfillBenchResult } from './backfill-bench';
import { estimateBackfill } from '../cli/backfill-estimate';
import {
  DEFAULT_BACKFILL_MAX_CONCURRENCY,
  BACKFILL_ITEMS_PER_BATCH,
} from '../lib/constructs/distributed-backfill';
import { workloadBenchmark, type WorkloadResult } from './workload';
import { ensureFile, FILES } from './data';
import {
  queryBenchmark,
  startDynalite,
  writeBenchmark,
  type QueryResult,
  type WriteResult,
} from './dynamo-bench';
import { scanBenchmark, serveFiles, type ScanFileResult } from './scan-bench';
import { round, show, table } from './stats';

// Not in bench/.data/, where ESLint would lint the bundles; in node_modules, so that a bundle that
// leaves the SDK out still finds it.
const BUILD_DIR = join(__dirname, '..', 'node_modules', '.cache', 'trail-index-bench');
const RESULTS = join(__dirname, 'results.json');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Bundles a benchmark entry point the way the Lambda is bundled (minified CommonJS for Node). */
async function bundle(entry: string): Promise<string> {
  const outfile = join(BUILD_DIR, `${entry.replace(/\.ts$/, '')}.js`);
  await build({
    entryPoints: [join(__dirname, entry)],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown';
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpu,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  mkdirSync(BUILD_DIR, { recursive: true });
  // The previous run's figures, printed beside this run's.
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as PreviousResults) : {};
  log(`machine: ${JSON.stringify(machine())}`);

  log('generating log files (cached in bench/.data/) ...');
  const files = [];
  for (const spec of FILES) {
    const file = await ensureFile(spec);
    log(
      `  ${file.name}: ${(file.uncompressedBytes / 2 ** 20).toFixed(1)} MiB JSON, ${(file.compressedBytes / 2 ** 20).toFixed(1)} MiB gzip`,
    );
    files.push(file);
  }

  log('1-2. scan throughput and peak RSS ...');
  const scanWorker = await bundle('scan-worker.ts');
  const scan: ScanFileResult[] = [];
  const server = await serveFiles();
  try {
    for (const file of files) {
      scan.push(
        await scanBenchmark(scanWorker, server.urlOf(file), file, file.name === 'small' ? 9 : 5, log),
      );
    }
  } finally {
    await server.close();
  }

  log('6. the realistic mix, warm, in CPU time ...');
  let workload: WorkloadResult | { error: string };
  try {
    workload = await workloadBenchmark(await bundle('workload-worker.ts'), 5, 9, log);
  } catch (err) {
    workload = { error: String(err) };
  }

  log('7. end to end on the emulators ...');
  let e2e: E2eResult | { error: string };
  try {
    e2e = await e2eLatencyBenchmark(100, log);
  } catch (err) {
    e2e = { error: String(err) };
  }

  log("8. the distributed backfill's child function on the emulators ...");
  let backfill: BackfillBenchResult | { error: string };
  try {
    backfill = await backfillBenchmark(5, log);
  } catch (err) {
    backfill = { error: String(err) };
  }

  let cost: CostResult | { error: string };
  if ('error' in workload) {
    cost = { error: `needs the realistic mix: ${workload.error}` };
  } else {
    cost = costPerMillion({
      recordsPerCpuSecond: workload.warm.scanner.eventsPerCpuSecond.median,
      recordsPerFile: workload.mix.records / workload.mix.files,
      indexedShare: workload.mix.selected / workload.mix.records,
    });
  }

  log('4. cold start ...');
  let coldStart: ColdStartResult | { error: string };
  try {
    coldStart = await coldStartBenchmark(BUILD_DIR, 11, log);
  } catch (err) {
    coldStart = { error: String(err) };
  }

  log('3, 5. write path and query against dynalite ...');
  let write: WriteResult | { error: string };
  let query: QueryResult | { error: string };
  const dynalite = await startDynalite();
  try {
    try {
      write = await writeBenchmark(dynalite.client, 5000, 5, log);
    } catch (err) {
      write = { error: String(err) };
    }
    try {
      query = await queryBenchmark(dynalite.client, 100_000, 31, log);
    } catch (err) {
      query = { error: String(err) };
    }
  } finally {
    await dynalite.stop();
  }

  const results = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    method: {
      scan: 'each measurement a fresh process reading the file as an HTTP body from a loopback server; methods interleaved per run; wall and CPU time (user + system, all threads)',
      workload:
        'the realistic mix (bench/workload.ts) in one warm process per method and run, methods rotated; CPU time primary, wall second; cold = the first (median-size) file of a fresh process',
      e2e: 'fauxqs + dynalite; a poller feeds the delivery queue to the handler; publish to GetItem success and to the alert reaching the alert queue; fast path: the alerter handler invoked with the EventBridge event to the alert reaching the alert queue',
      cost: 'bench/cost.ts: measured CPU per record at 1,024 MB arm64 (CPU stretched to 1024/1769 vCPU), write units of built items, per-file S3/KMS/SNS requests, us-east-1 list prices',
    },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    scan,
    coldStart,
    write,
    query,
    workload,
    e2e,
    cost,
    backfill,
    backfillProjection:
      'error' in backfill ? backfill : projectTenMillion(backfill.keysPerSecondPerChild.median),
  };
  writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

  log('');
  log('Scan: medians (min–max) of per-run values');
  log(
    table(
      [
        'file',
        'gzip MiB',
        'JSON MiB',
        'records',
        'selected',
        'scanner MiB/s',
        'scanner ÷ gunzip',
        'naive ÷ scanner',
        'same set',
        'peak RSS scanner MiB',
        'peak RSS naive MiB',
      ],
      scan.map((r) => [
        r.file,
        String(r.compressedMiB),
        String(r.uncompressedMiB),
        String(r.records),
        String(r.selected),
        show(r.scannerMiBps, 0),
        show(r.scannerOverGunzip),
        r.naiveError === undefined ? show(r.naiveOverScanner) : 'cannot run',
        String(r.sameSelection),
        show(r.peakRssMiB.scanner, 0),
        r.naiveError === undefined
          ? show(r.peakRssMiB.naive, 0)
          : `${show(r.peakRssMiB.naive, 0)} then failed`,
      ]),
    ),
  );
  for (const r of scan) if (r.naiveError !== undefined) log(`naive on ${r.file}: ${r.naiveError}`);
  log('');
  log('Scan, CPU time (all threads) instead of wall time: scanner ÷ gunzip');
  log(scan.map((r) => `  ${r.file}: ${show(r.scannerOverGunzipCpu)}`).join('\n'));
  log('');
  if ('error' in coldStart) {
    log(`Cold start: failed: ${coldStart.error}`);
  } else {
    for (const [name, c] of [
      ['SDK bundled (deployed)', coldStart.deployed],
      ['SDK from the runtime (alternative)', coldStart.sdkFromRuntime],
    ] as const) {
      log(
        `Cold start, ${name}: bundle ${c.handlerBundle.kib} KiB; import ${show(c.importMs.handler, 1, ' ms')} ` +
          `vs SDK clients alone ${show(c.importMs.sdkClients, 1, ' ms')}: ratio ${show(c.handlerOverSdk)}`,
      );
    }
  }
  if ('error' in write) {
    log(`Write path: failed: ${write.error}`);
  } else {
    log(
      `Write path (${write.events} events): writer ${show(write.writerEventsPerSecond, 0)} events/s, bare loop ${show(write.bareEventsPerSecond, 0)} events/s: ` +
        `ratio ${show(write.writerOverBare)}; requests ${show(write.writerRequests, 0)} (⌈N/25⌉ = ${write.expectedRequests}, retries ${show(write.writerRetries, 0)})`,
    );
  }
  if ('error' in query) {
    log(`Query: failed: ${query.error}`);
  } else {
    log(
      `Query (last 50 of ${query.vaultEvents} vault events among ${query.indexedEvents}): CLI ${show(query.cliMs, 1, ' ms')}, ` +
        `hand-written ${show(query.handWrittenMs, 1, ' ms')}: ratio ${show(query.cliOverHandWritten)}; same events: ${String(query.sameEvents)}`,
    );
  }
  log('');
  reportWorkload(workload, e2e, cost, previous, log);
  if ('error' in backfill) {
    log(`Distributed backfill: failed: ${backfill.error}`);
  } else {
    const projection = projectTenMillion(backfill.keysPerSecondPerChild.median);
    const e = projection.estimate;
    log(
      `Distributed backfill, one child (batches of ${backfill.keysPerBatch} files of ${backfill.jsonKBPerFile} KB JSON): ${show(backfill.keysPerSecondPerChild, 0, ' keys/s')}; ` +
        `10 million objects at ${projection.maxConcurrency} children: ${e.hours.indexing} h indexing + up to ${e.hours.restoreWait} h of restores; ` +
        `$${e.dollars.total} (restores $${round(e.dollars.restoreRequests + e.dollars.restoreRetrieval + e.dollars.restoredCopies, 2)}, S3 $${e.dollars.s3Requests}, Step Functions $${e.dollars.stepFunctions}, Lambda $${e.dollars.lambda}, DynamoDB $${e.dollars.dynamodb}, KMS ≤ $${e.dollars.kms})`,
    );
  }
  log(`\nresults: ${RESULTS} (${results.durationSeconds} s)`);
}

/** What this run compares with: the previous results.json, whatever it holds. */
interface PreviousResults {
  readonly scan?: readonly ScanFileResult[];
  readonly workload?: WorkloadResult | { error: string };
  readonly e2e?: E2eResult | { error: string };
  readonly cost?: CostResult | { error: string };
}

function reportWorkload(
  workload: WorkloadResult | { error: string },
  e2e: E2eResult | { error: string },
  cost: CostResult | { error: string },
  previous: PreviousResults,
  log: (line: string) => void,
): void {
  const before = (value: number | undefined, digits = 2) =>
    value === undefined ? '' : ` (previous run: ${round(value, digits)})`;
  const prevScan = (file: string) => previous.scan?.find((r) => r.file === file);
  for (const file of ['medium', 'large']) {
    log(
      `Scan ${file}, CPU time scanner ÷ gunzip: previous run ${prevScan(file)?.scannerOverGunzipCpu.median.toFixed(2) ?? 'n/a'} (target ≤ 1.3)`,
    );
  }
  if ('error' in workload) {
    log(`Realistic mix: failed: ${workload.error}`);
  } else {
    const prev =
      previous.workload !== undefined && !('error' in previous.workload) ? previous.workload : undefined;
    const m = workload.mix;
    log(
      `Realistic mix: ${m.files} files, ${m.jsonMiB} MiB JSON (${m.gzipMiB} MiB gzip), median ${m.medianJsonKB} KB, largest ${m.largestJsonMiB} MiB; ` +
        `${m.records} records, ${m.selected} Glacier/Support; warm process, ${workload.runs} runs`,
    );
    for (const method of ['gunzip', 'scanner', 'naive'] as const) {
      const f = workload.warm[method];
      log(
        `  ${method.padEnd(7)} ${show(f.eventsPerCpuSecond, 0)} records/CPU-s${before(prev?.warm[method].eventsPerCpuSecond.median, 0)}; ` +
          `${show(f.cpuSecondsPerGB, 1)} CPU-s/GB; wall ${show(f.eventsPerSecond, 0)} records/s`,
      );
    }
    log(
      `  scanner ÷ naive, records per CPU-second: ${show(workload.scannerOverNaiveEventsPerCpu)}${before(prev?.scannerOverNaiveEventsPerCpu.median)} (target ≥ 3)`,
    );
    log(
      `  scanner ÷ gunzip, CPU time: ${show(workload.scannerOverGunzipCpu)}${before(prev?.scannerOverGunzipCpu.median)}`,
    );
    log(
      `  as deployed (the alert rules' sources too, for their event names; ${workload.alertSourcesSelected} records selected) ÷ indexed sources alone, CPU time: ${show(workload.alertSourcesOverIndexedCpu)}`,
    );
    log(
      `  first file of a fresh process (${workload.cold.file}, ${workload.cold.jsonKB} KB): scanner ${show(workload.cold.cpuMs.scanner, 1, ' ms')}, ` +
        `naive ${show(workload.cold.cpuMs.naive, 1, ' ms')}, gunzip ${show(workload.cold.cpuMs.gunzip, 1, ' ms')} CPU: ` +
        `scanner ÷ naive ${show(workload.cold.scannerOverNaive)}${before(prev?.cold.scannerOverNaive.median)} (target ≤ 1); same counts: ${String(workload.sameCounts)}`,
    );
  }
  if ('error' in e2e) {
    log(`End to end: failed: ${e2e.error}`);
  } else {
    const prev = previous.e2e !== undefined && !('error' in previous.e2e) ? previous.e2e : undefined;
    log(
      `End to end on the emulators (${e2e.files} files of ${e2e.recordsPerFile} records): publish → queryable p50 ${round(e2e.queryableMs.p50, 1)} ms, ` +
        `p99 ${round(e2e.queryableMs.p99, 1)} ms${before(prev?.queryableMs.p50, 1)}; publish → alert p50 ${round(e2e.alertedMs.p50, 1)} ms, p99 ${round(e2e.alertedMs.p99, 1)} ms; ` +
        `fast path, EventBridge event → alert p50 ${round(e2e.fastAlertedMs.p50, 1)} ms, p99 ${round(e2e.fastAlertedMs.p99, 1)} ms` +
        ` (fast ÷ log-file path, p50: ${round(e2e.fastAlertedMs.p50 / e2e.alertedMs.p50, 2)})`,
    );
  }
  if ('error' in cost) {
    log(`Cost: ${cost.error}`);
  } else {
    const prev = previous.cost !== undefined && !('error' in previous.cost) ? previous.cost : undefined;
    const p = cost.perMillionRecords;
    log(
      `Cost per million CloudTrail records read: $${p.total}${before(prev?.perMillionRecords.total, 4)} ` +
        `(Lambda $${p.lambda}, S3 $${p.s3}, KMS ≤ $${p.kms}, SNS $${p.sns}, DynamoDB $${p.dynamodb}); ` +
        `per million indexed events: DynamoDB writes $${cost.perMillionIndexedEvents.dynamodbWrites} ` +
        `(${cost.writeUnitsPerEvent} WRU each: ${cost.itemKB} KB item, ${cost.gsiCopiesPerEvent} GSI copies), ` +
        `storage $${cost.storagePerMillionEventsPerMonth}/month`,
    );
  }
}

/**
 * Seven years of a log file every 5 minutes is 10 million objects across accounts and regions; with
 * this stack's lifecycle, the last 90 days are in S3 Standard, days 90 to 365 in Glacier Flexible
 * Retrieval and the rest in Deep Archive. 20 KB per gzip file, one Glacier or Support event per file.
 */
export function projectTenMillion(keysPerSecondPerChild: number) {
  const objects = 10_000_000;
  const share = { STANDARD: 90 / 2557, GLACIER: (365 - 90) / 2557, DEEP_ARCHIVE: (2557 - 365) / 2557 };
  const byClass = Object.fromEntries(
    Object.entries(share).map(([cls, s]) => [
      cls,
      { objects: Math.round(objects * s), bytes: Math.round(objects * s) * 20_000 },
    ]),
  );
  return {
    assumptions:
      '10 million objects, 20 KB each; Standard 90 days, Glacier Flexible Retrieval to 365, Deep Archive after; Bulk restores kept 3 days; 1 event per file',
    keysPerSecondPerChild: Math.round(keysPerSecondPerChild),
    maxConcurrency: DEFAULT_BACKFILL_MAX_CONCURRENCY,
    estimate: estimateBackfill(
      { byClass, listRequests: objects / 1000 },
      {
        restoreTier: 'Bulk',
        restoreDays: 3,
        maxConcurrency: DEFAULT_BACKFILL_MAX_CONCURRENCY,
        itemsPerBatch: BACKFILL_ITEMS_PER_BATCH,
        keysPerSecondPerChild,
        lambdaMemoryMb: 1024,
        eventsPerFile: 1,
        writeUnitsPerEvent: 6.31,
      },
    ),
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
