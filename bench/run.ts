/**
 * `npm run bench`: the performance suite of issue 5. Not part of `npm test`.
 *
 * Generates (once, cached in bench/.data/) realistic CloudTrail files of ~1 MB, ~60 MB and ~600 MB,
 * builds the measured code with esbuild as the Lambda bundle is built, measures each item against
 * its baseline in the same run, prints a table and writes bench/results.json.
 */
import { cpus } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { coldStartBenchmark, type ColdStartResult } from './cold-start';
import { ensureFile, FILES } from './data';
import {
  queryBenchmark,
  startDynalite,
  writeBenchmark,
  type QueryResult,
  type WriteResult,
} from './dynamo-bench';
import { scanBenchmark, serveFiles, type ScanFileResult } from './scan-bench';
import { show, table } from './stats';

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
    durationSeconds: Math.round((Date.now() - started) / 1000),
    scan,
    coldStart,
    write,
    query,
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
  log(`\nresults: ${RESULTS} (${results.durationSeconds} s)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
