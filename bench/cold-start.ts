/**
 * Item 4: size of the bundled Lambda and the time to import it in a fresh process, against
 * importing (and constructing) the SDK clients alone, loaded the same way.
 *
 * The bundle is built as `lib/constructs/indexer-function.ts` builds it (esbuild: bundle, minify,
 * CommonJS, platform node, source map in its own file, the SDK bundled too: `INDEXER_EXTERNAL_MODULES`
 * is empty), except the target: node20 here, to import it on this machine, where the stack targets
 * node24. A second configuration leaves the SDK clients to the runtime (loaded from
 * `node_modules`, as the runtime loads its own copy), to show what bundling them costs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { INDEXER_EXTERNAL_MODULES } from '../lib/constructs/indexer-function';
import { round, runNode, summarize, type Summary } from './stats';

export interface BundleInfo {
  readonly bytes: number;
  readonly kib: number;
}

/** One way of shipping the SDK: the handler and the SDK-clients-only baseline, built alike. */
export interface ColdStartConfiguration {
  readonly handlerBundle: BundleInfo;
  readonly sdkClientsBundle: BundleInfo;
  readonly importMs: { handler: Summary; sdkClients: Summary };
  /** handler import time ÷ SDK clients import time, per run (target ≤ 1.5). */
  readonly handlerOverSdk: Summary;
}

export interface ColdStartResult {
  readonly runs: number;
  /** As the stack deploys it: the SDK bundled into the function. */
  readonly deployed: ColdStartConfiguration;
  /** The alternative: the SDK clients taken from the runtime. */
  readonly sdkFromRuntime: ColdStartConfiguration;
}

const ROOT = join(__dirname, '..');

async function bundle(entry: string, outfile: string, sdkExternal: boolean): Promise<BundleInfo> {
  await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external: sdkExternal ? ['@aws-sdk/client-*'] : [...INDEXER_EXTERNAL_MODULES],
    logLevel: 'warning',
  });
  const bytes = statSync(outfile).size;
  return { bytes, kib: round(bytes / 1024, 1) };
}

/** Prints the milliseconds `require()` of the file takes, in a fresh process. */
const IMPORT_PROBE = `
const start = process.hrtime.bigint();
require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({ ms }) + '\\n');
`;

/** What the function's configuration provides; nothing is called at import. */
const ENVIRONMENT = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'trail-index',
  LOG_BUCKET: 'trail-index-logs',
  ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trail-index-alerts',
  INDEXED_SOURCES: 'glacier.amazonaws.com,support.amazonaws.com',
  POWERTOOLS_SERVICE_NAME: 'trail-index',
  POWERTOOLS_METRICS_NAMESPACE: 'TrailIndex',
};

async function measure(
  buildDir: string,
  sdkExternal: boolean,
  runs: number,
): Promise<ColdStartConfiguration> {
  // Written inside node_modules/.cache so that require() finds the SDK clients in node_modules.
  const suffix = sdkExternal ? 'sdk-external' : 'sdk-bundled';
  const handlerFile = join(buildDir, `indexer-handler-${suffix}.js`);
  const sdkFile = join(buildDir, `sdk-clients-${suffix}.js`);
  const handlerBundle = await bundle(join(ROOT, 'lambdas/indexer/handler.ts'), handlerFile, sdkExternal);
  const sdkClientsBundle = await bundle(join(__dirname, 'sdk-clients.ts'), sdkFile, sdkExternal);
  const handlerMs: number[] = [];
  const sdkMs: number[] = [];
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    const sdk = await runNode<{ ms: number }>('-e', [IMPORT_PROBE, sdkFile], { env: ENVIRONMENT });
    const handler = await runNode<{ ms: number }>('-e', [IMPORT_PROBE, handlerFile], { env: ENVIRONMENT });
    sdkMs.push(sdk.ms);
    handlerMs.push(handler.ms);
    ratios.push(handler.ms / sdk.ms);
  }
  return {
    handlerBundle,
    sdkClientsBundle,
    importMs: { handler: summarize(handlerMs), sdkClients: summarize(sdkMs) },
    handlerOverSdk: summarize(ratios),
  };
}

export async function coldStartBenchmark(
  buildDir: string,
  runs: number,
  log: (line: string) => void,
): Promise<ColdStartResult> {
  const deployed = await measure(buildDir, false, runs);
  const sdkFromRuntime = await measure(buildDir, true, runs);
  for (const [name, c] of [
    ['SDK bundled (deployed)', deployed],
    ['SDK from the runtime', sdkFromRuntime],
  ] as const) {
    log(
      `  ${name}: handler bundle ${c.handlerBundle.kib} KiB; import ${round(c.importMs.handler.median, 1)} ms ` +
        `vs SDK clients alone ${round(c.importMs.sdkClients.median, 1)} ms`,
    );
  }
  return { runs, deployed, sdkFromRuntime };
}
