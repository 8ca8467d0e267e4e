/**
 * Item 4: size of the bundled Lambda and the time to import it in a fresh process, against
 * importing (and constructing) the SDK clients alone, bundled the same way.
 *
 * The bundle is built as `lib/constructs/indexer-function.ts` builds it (esbuild: bundle, minify,
 * CommonJS, platform node, source map in its own file, AWS SDK bundled: `bundleAwsSDK: true`),
 * except the target: node20 here, to import it on this machine, where the stack targets node24.
 * A second build leaves the SDK out (`@aws-sdk/*` external, as when the runtime provides it), to
 * show what that choice costs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { round, runNode, summarize, type Summary } from './stats';

export interface BundleInfo {
  readonly bytes: number;
  readonly kib: number;
}

export interface ColdStartResult {
  readonly runs: number;
  /** As the stack deploys it: SDK bundled. */
  readonly handlerBundle: BundleInfo;
  /** The same handler with `@aws-sdk/*` left to the runtime. */
  readonly handlerBundleSdkExternal: BundleInfo;
  readonly sdkClientsBundle: BundleInfo;
  readonly importMs: { handler: Summary; sdkClients: Summary; handlerSdkExternal: Summary };
  /** handler import time ÷ SDK clients import time, per run (target ≤ 1.5). */
  readonly handlerOverSdk: Summary;
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
    external: sdkExternal ? ['@aws-sdk/*'] : [],
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

export async function coldStartBenchmark(
  buildDir: string,
  runs: number,
  log: (line: string) => void,
): Promise<ColdStartResult> {
  const handlerFile = join(buildDir, 'indexer-handler.js');
  const handlerBundle = await bundle(join(ROOT, 'lambdas/indexer/handler.ts'), handlerFile, false);
  // Written inside node_modules/.cache so that require() finds the unbundled SDK in node_modules.
  const externalFile = join(buildDir, 'indexer-handler-sdk-external.js');
  const handlerBundleSdkExternal = await bundle(join(ROOT, 'lambdas/indexer/handler.ts'), externalFile, true);
  const sdkFile = join(buildDir, 'sdk-clients.js');
  const sdkClientsBundle = await bundle(join(__dirname, 'sdk-clients.ts'), sdkFile, false);

  // What the function's configuration provides; nothing is called at import.
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    TABLE_NAME: 'trail-index',
    ALERT_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:trail-index-alerts',
    INDEXED_SOURCES: 'glacier.amazonaws.com,support.amazonaws.com',
    POWERTOOLS_SERVICE_NAME: 'trail-index',
    POWERTOOLS_METRICS_NAMESPACE: 'TrailIndex',
  };
  const handlerMs: number[] = [];
  const sdkMs: number[] = [];
  const externalMs: number[] = [];
  const ratios: number[] = [];
  for (let run = 0; run < runs; run++) {
    const sdk = await runNode<{ ms: number }>('-e', [IMPORT_PROBE, sdkFile], { env });
    const handler = await runNode<{ ms: number }>('-e', [IMPORT_PROBE, handlerFile], { env });
    const external = await runNode<{ ms: number }>('-e', [IMPORT_PROBE, externalFile], { env });
    externalMs.push(external.ms);
    sdkMs.push(sdk.ms);
    handlerMs.push(handler.ms);
    ratios.push(handler.ms / sdk.ms);
  }
  log(
    `  handler bundle ${handlerBundle.kib} KiB (SDK external: ${handlerBundleSdkExternal.kib} KiB), ` +
      `SDK clients alone ${sdkClientsBundle.kib} KiB; import ${round(summarize(handlerMs).median, 1)} ms ` +
      `vs ${round(summarize(sdkMs).median, 1)} ms (SDK from node_modules: ${round(summarize(externalMs).median, 1)} ms)`,
  );
  return {
    runs,
    handlerBundle,
    handlerBundleSdkExternal,
    sdkClientsBundle,
    importMs: {
      handler: summarize(handlerMs),
      sdkClients: summarize(sdkMs),
      handlerSdkExternal: summarize(externalMs),
    },
    handlerOverSdk: summarize(ratios),
  };
}
