/**
 * Items 1 and 2: scan throughput against streaming gunzip and the naive approach, and peak RSS,
 * each measurement in a fresh child process, the three methods interleaved in every run so that
 * each ratio compares measurements taken under the same machine load.
 */
import { createReadStream, stat } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { DATA_DIR, type GeneratedFile } from './data';
import type { ScanMeasurement, ScanMethod } from './scan-worker';
import { round, runNode, summarize, type Summary } from './stats';

export interface ScanFileResult {
  readonly file: string;
  readonly compressedMiB: number;
  readonly uncompressedMiB: number;
  readonly records: number;
  readonly selected: number;
  readonly runs: number;
  readonly ms: Record<ScanMethod, Summary>;
  /** Scanner MiB/s of uncompressed JSON. */
  readonly scannerMiBps: Summary;
  /** scanner time ÷ gunzip time, per run (target ≤ 1.25 on the 60 MB file). */
  readonly scannerOverGunzip: Summary;
  /** The same with CPU time (all threads), which the load of other processes disturbs less. */
  readonly scannerOverGunzipCpu: Summary;
  /** naive time ÷ scanner time, per run (target ≥ 3 on the 60 MB file). */
  readonly naiveOverScanner: Summary;
  readonly peakRssMiB: Record<ScanMethod, Summary>;
  /** Whether the scanner selected exactly the records the naive approach selected. */
  readonly sameSelection: boolean | 'naive-failed';
  readonly naiveError?: string;
}

/**
 * Serves the benchmark's files on 127.0.0.1, so that the measured processes read them as a
 * Lambda reads a log file: the body of an HTTP GET.
 */
export async function serveFiles(): Promise<{ urlOf(file: GeneratedFile): string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = join(DATA_DIR, basename(request.url ?? ''));
    stat(path, (err, stats) => {
      if (err !== null) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': stats.size });
      createReadStream(path).pipe(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    urlOf: (file) => `http://127.0.0.1:${port}/${basename(file.path)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function scanBenchmark(
  worker: string,
  url: string,
  file: GeneratedFile,
  runs: number,
  log: (line: string) => void,
): Promise<ScanFileResult> {
  const times: Record<ScanMethod, number[]> = { gunzip: [], scanner: [], naive: [] };
  const rss: Record<ScanMethod, number[]> = { gunzip: [], scanner: [], naive: [] };
  const overGunzip: number[] = [];
  const overGunzipCpu: number[] = [];
  const naiveOver: number[] = [];
  const digests = new Set<string>();
  let naiveDigest: string | undefined;
  let naiveError: string | undefined;
  let last: ScanMeasurement | undefined;
  let naiveRuns = runs;

  for (let run = 0; run < runs; run++) {
    const measure = async (method: ScanMethod) => {
      const m = await runNode<ScanMeasurement>(worker, [method, url]);
      rss[method].push(m.maxRssMiB);
      if (!m.ok) throw new Error(`${method} failed on ${file.name}: ${m.error ?? 'unknown error'}`);
      times[method].push(m.ms ?? Number.NaN);
      return m;
    };
    const gunzip = await measure('gunzip');
    const scanner = await measure('scanner');
    last = scanner;
    digests.add(scanner.digest ?? '');
    overGunzip.push((scanner.ms ?? 0) / (gunzip.ms ?? 1));
    overGunzipCpu.push((scanner.cpuMs ?? 0) / (gunzip.cpuMs ?? 1));
    if (run < naiveRuns) {
      const naive = await runNode<ScanMeasurement>(worker, ['naive', url]);
      rss.naive.push(naive.maxRssMiB);
      if (naive.ok) {
        times.naive.push(naive.ms ?? Number.NaN);
        naiveDigest = naive.digest;
        naiveOver.push((naive.ms ?? 0) / (scanner.ms ?? 1));
      } else {
        // It cannot hold the file (V8's string limit is ~512 MiB): say so once, do not retry.
        naiveError = naive.error;
        naiveRuns = 0;
      }
    }
    log(
      `  ${file.name} run ${run + 1}/${runs}: gunzip ${round(gunzip.ms ?? 0, 0)} ms (cpu ${round(gunzip.cpuMs ?? 0, 0)}), ` +
        `scanner ${round(scanner.ms ?? 0, 0)} ms (cpu ${round(scanner.cpuMs ?? 0, 0)})` +
        (times.naive.length > run
          ? `, naive ${round(times.naive[run] ?? 0, 0)} ms`
          : naiveError
            ? ', naive failed'
            : ''),
    );
  }

  const stats = last?.stats;
  const uncompressed = stats?.decompressedBytes ?? file.uncompressedBytes;
  return {
    file: file.name,
    compressedMiB: round(file.compressedBytes / 2 ** 20, 1),
    uncompressedMiB: round(uncompressed / 2 ** 20, 1),
    records: stats?.recordsScanned ?? 0,
    selected: stats?.recordsSelected ?? 0,
    runs,
    ms: { gunzip: summarize(times.gunzip), scanner: summarize(times.scanner), naive: summarize(times.naive) },
    scannerMiBps: summarize(times.scanner.map((ms) => uncompressed / 2 ** 20 / (ms / 1000))),
    scannerOverGunzip: summarize(overGunzip),
    scannerOverGunzipCpu: summarize(overGunzipCpu),
    naiveOverScanner: summarize(naiveOver),
    peakRssMiB: {
      gunzip: summarize(rss.gunzip),
      scanner: summarize(rss.scanner),
      naive: summarize(rss.naive),
    },
    sameSelection:
      naiveDigest === undefined ? 'naive-failed' : digests.size === 1 && digests.has(naiveDigest),
    ...(naiveError === undefined ? {} : { naiveError }),
  };
}
