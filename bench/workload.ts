/**
 * The workload a warm Lambda really sees: many log files, mostly small, one after the other in one
 * process whose code V8 has optimised, measured in CPU time.
 *
 * The mix. CloudTrail delivers a log file about every 5 minutes per account and region, so file
 * size follows the account's activity in that window: mostly kilobytes, sometimes megabytes, rarely
 * near the 50 MB compressed maximum. The sizes (of JSON) are drawn from a log-normal distribution
 * with a median of 60 KB and σ = 1.9 (so the 90th percentile is about 700 KB and the 99th about
 * 5 MB), truncated at 4 KB and 360 MB (about 50 MB of gzip), with a fixed seed. Glacier and Support
 * events are 0.4% of the records, with 1% of records large (policy documents, long request
 * parameters) as the generator makes them. The maximum-size file itself is measured on its own by
 * the scan benchmark.
 */
import { ensureFile, type BenchFile, type GeneratedFile } from './data';
import { prng } from './cloudtrail-generator';
import { serveFiles } from './scan-bench';
import type { ScanMethod } from './scan-worker';
import { round, runNode, summarize, type Summary } from './stats';
import type { WorkloadMeasurement } from './workload-worker';

export const MIX = {
  files: 240,
  seed: 7,
  medianBytes: 60_000,
  sigma: 1.9,
  minBytes: 4_000,
  maxBytes: 360_000_000,
  selectedShare: 0.004,
  largeShare: 0.01,
} as const;

/** The mix's files, deterministic: sizes from the stated distribution, each with its own seed. */
export function mixSpecs(): BenchFile[] {
  const rng = prng(MIX.seed);
  const specs: BenchFile[] = [];
  for (let k = 0; k < MIX.files; k++) {
    // Box–Muller: a standard normal from two uniforms.
    const normal = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    const bytes = Math.round(MIX.medianBytes * Math.exp(MIX.sigma * normal));
    specs.push({
      name: `mix-${String(k).padStart(3, '0')}`,
      seed: 1000 + k,
      targetBytes: Math.min(MIX.maxBytes, Math.max(MIX.minBytes, bytes)),
      options: { selectedShare: MIX.selectedShare, largeShare: MIX.largeShare },
    });
  }
  return specs;
}

export interface MethodFigures {
  /** CloudTrail records per CPU-second. */
  readonly eventsPerCpuSecond: Summary;
  /** CPU-seconds per GB (10^9 bytes) of JSON. */
  readonly cpuSecondsPerGB: Summary;
  /** Wall-clock records per second, second to CPU time. */
  readonly eventsPerSecond: Summary;
  readonly cpuMs: Summary;
}

export interface WorkloadResult {
  readonly mix: typeof MIX & {
    readonly jsonMiB: number;
    readonly gzipMiB: number;
    readonly largestJsonMiB: number;
    readonly medianJsonKB: number;
    readonly records: number;
    readonly selected: number;
  };
  readonly runs: number;
  readonly warm: Record<ScanMethod, MethodFigures>;
  /** scanner events per CPU-second ÷ naive's, per run (target ≥ 3). */
  readonly scannerOverNaiveEventsPerCpu: Summary;
  /** scanner CPU ÷ gunzip CPU over the mix, per run. */
  readonly scannerOverGunzipCpu: Summary;
  /** The first file of a fresh process: a median-size file, CPU ms per method. */
  readonly cold: {
    readonly file: string;
    readonly jsonKB: number;
    readonly cpuMs: Record<ScanMethod, Summary>;
    /** scanner CPU ÷ naive CPU (target ≤ 1). */
    readonly scannerOverNaive: Summary;
  };
  /** The same selected events by every method. */
  readonly sameCounts: boolean;
  /**
   * CPU of the scan as the deployed indexer runs it (the alert rules' sources too, for their event
   * names) ÷ the scan of the indexed sources alone, per run; and what it selected over the mix.
   */
  readonly alertSourcesOverIndexedCpu: Summary;
  readonly alertSourcesSelected: number;
}

const METHODS: readonly ScanMethod[] = ['gunzip', 'scanner', 'naive'];

export async function workloadBenchmark(
  worker: string,
  runs: number,
  coldRuns: number,
  log: (line: string) => void,
): Promise<WorkloadResult> {
  const files: GeneratedFile[] = [];
  for (const spec of mixSpecs()) files.push(await ensureFile(spec));
  const names = files.map((f) => f.path.split('/').pop() ?? '');
  const bySize = [...files].sort((a, b) => a.uncompressedBytes - b.uncompressedBytes);
  const median = bySize[Math.floor(bySize.length / 2)] ?? files[0];
  if (median === undefined) throw new Error('empty mix');
  const server = await serveFiles();
  const base = server.urlOf(files[0] as GeneratedFile).replace(/\/[^/]+$/, '');
  const warm: Record<ScanMethod, WorkloadMeasurement[]> = { gunzip: [], scanner: [], naive: [] };
  const cold: Record<ScanMethod, number[]> = { gunzip: [], scanner: [], naive: [] };
  const withAlerts: WorkloadMeasurement[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      // Rotate the order, so that no method always runs right after another.
      for (const method of [...METHODS.slice(run % 3), ...METHODS.slice(0, run % 3)]) {
        const m = await runNode<WorkloadMeasurement>(worker, [method, base, ...names]);
        warm[method].push(m);
        log(
          `  mix run ${run + 1}/${runs}: ${method} ${round(m.cpuMs, 0)} ms CPU, ${round(m.wallMs, 0)} ms wall`,
        );
      }
      const deployed = await runNode<WorkloadMeasurement>(worker, ['scanner-alerts', base, ...names]);
      withAlerts.push(deployed);
      log(
        `  mix run ${run + 1}/${runs}: scanner as deployed (alert rules' sources too) ${round(deployed.cpuMs, 0)} ms CPU`,
      );
    }
    const medianName = median.path.split('/').pop() ?? '';
    for (let run = 0; run < coldRuns; run++) {
      for (const method of METHODS) {
        const m = await runNode<WorkloadMeasurement>(worker, [method, base, medianName]);
        cold[method].push(m.firstFileCpuMs);
      }
    }
  } finally {
    await server.close();
  }
  const figures = (method: ScanMethod): MethodFigures => {
    const ms = warm[method];
    const records = warm.scanner[0]?.records ?? 0;
    return {
      eventsPerCpuSecond: summarize(ms.map((m) => records / (m.cpuMs / 1000))),
      cpuSecondsPerGB: summarize(ms.map((m) => m.cpuMs / 1000 / (m.jsonBytes / 1e9))),
      eventsPerSecond: summarize(ms.map((m) => records / (m.wallMs / 1000))),
      cpuMs: summarize(ms.map((m) => m.cpuMs)),
    };
  };
  const first = warm.scanner[0];
  const jsonBytes = files.reduce((sum, f) => sum + f.uncompressedBytes, 0);
  const gzipBytes = files.reduce((sum, f) => sum + f.compressedBytes, 0);
  return {
    mix: {
      ...MIX,
      jsonMiB: round(jsonBytes / 2 ** 20, 1),
      gzipMiB: round(gzipBytes / 2 ** 20, 1),
      largestJsonMiB: round((bySize[bySize.length - 1]?.uncompressedBytes ?? 0) / 2 ** 20, 1),
      medianJsonKB: round(median.uncompressedBytes / 1000, 0),
      records: first?.records ?? 0,
      selected: first?.selected ?? 0,
    },
    runs,
    warm: { gunzip: figures('gunzip'), scanner: figures('scanner'), naive: figures('naive') },
    scannerOverNaiveEventsPerCpu: summarize(
      warm.scanner.map((m, k) => (warm.naive[k]?.cpuMs ?? NaN) / m.cpuMs),
    ),
    scannerOverGunzipCpu: summarize(warm.scanner.map((m, k) => m.cpuMs / (warm.gunzip[k]?.cpuMs ?? NaN))),
    cold: {
      file: median.name,
      jsonKB: round(median.uncompressedBytes / 1000, 0),
      cpuMs: {
        gunzip: summarize(cold.gunzip),
        scanner: summarize(cold.scanner),
        naive: summarize(cold.naive),
      },
      scannerOverNaive: summarize(cold.scanner.map((ms, k) => ms / (cold.naive[k] ?? NaN))),
    },
    alertSourcesOverIndexedCpu: summarize(
      withAlerts.map((m, k) => m.cpuMs / (warm.scanner[k]?.cpuMs ?? NaN)),
    ),
    alertSourcesSelected: withAlerts[0]?.selected ?? 0,
    sameCounts: warm.scanner.every(
      (m, k) => m.selected === warm.naive[k]?.selected && m.records === warm.naive[k]?.records,
    ),
  };
}
