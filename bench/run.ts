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
import { DATA_DIR, ensureFile, FILES } from './data';
import { scanBenchmark, type ScanFileResult } from './scan-bench';
import { show, table } from './stats';

const BUILD_DIR = join(DATA_DIR, 'build');
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
  for (const file of files) {
    scan.push(await scanBenchmark(scanWorker, file, file.name === 'small' ? 9 : 5, log));
  }

  const results = {
    generatedAt: new Date().toISOString(),
    machine: machine(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    scan,
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
  log(`\nresults: ${RESULTS} (${results.durationSeconds} s)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
