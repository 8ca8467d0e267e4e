/**
 * The indexer as it is deployed: bundled by esbuild the way `lib/constructs/indexer-function.ts`
 * bundles it (minified CommonJS for nodejs24.x, nothing left external: the AWS SDK included), loaded
 * from a folder with no node_modules anywhere above it, so that it can use only what it carries,
 * then run end to end against the emulators. `npm test` runs this on Node 20 and on Node 24.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import type { IndexerHandler } from '../../lambdas/indexer/create-handler';
import { INDEXER_EXTERNAL_MODULES } from '../../lib/constructs/indexer-function';
import { cloudTrailMessage, glacierRecord, logFileBody, logFileKey } from '../harness/factories';
import {
  createTestPipeline,
  deliver,
  getEvent,
  putObject,
  receiveAlerts,
  TestPipeline,
} from '../harness/pipeline';

const ROOT = join(__dirname, '..', '..');
let p: TestPipeline;
let dir: string;
let metafile: Metafile;
let handler: IndexerHandler;

beforeAll(async () => {
  p = await createTestPipeline();
  dir = mkdtempSync(join(tmpdir(), 'trail-index-bundle-'));
  const outfile = join(dir, 'index.js');
  const result = await build({
    entryPoints: [join(ROOT, 'lambdas/indexer/handler.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: [...INDEXER_EXTERNAL_MODULES],
    outfile,
    metafile: true,
    logLevel: 'warning',
  });
  metafile = result.metafile;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the built bundle is the point
  handler = (require(outfile) as { handler: IndexerHandler }).handler;
}, 60_000);

afterAll(() => {
  p.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the bundle carries the AWS SDK from node_modules, the copy the tests ran, and imports nothing external', () => {
  // Act
  const output = Object.values(metafile.outputs)[0];
  const external = (output?.imports ?? []).filter((i) => i.external).map((i) => i.path);
  const inputs = Object.keys(metafile.inputs);

  // Assess: only Node's own modules stay outside.
  expect(external.filter((path) => !path.startsWith('node:') && !isBuiltin(path))).toEqual([]);
  for (const client of ['client-s3', 'client-sns', 'client-dynamodb', 'lib-dynamodb']) {
    expect(inputs.some((path) => path.startsWith(`node_modules/@aws-sdk/${client}/`))).toBe(true);
  }
});

test('the bundled handler indexes a log file and alerts its vault deletion, on this Node', async () => {
  // Prepare
  const deletion = glacierRecord('DeleteVault', {
    requestParameters: { accountId: '-', vaultName: 'bundled' },
  });
  const key = logFileKey();
  await putObject(p, key, logFileBody([deletion, glacierRecord('ListVaults')]));

  // Act
  const summary = await handler(await deliver(p, [cloudTrailMessage(p.bucket, [key])]));
  const alerts = await receiveAlerts(p);

  // Assess
  expect(summary.files.map((f) => [f.status, f.recordsScanned])).toEqual([['indexed', 2]]);
  expect(await getEvent(p, String(deletion.eventID))).toMatchObject({ vaultName: 'bundled' });
  expect(alerts.map((a) => a.subject)).toEqual([expect.stringContaining('bundled')]);
});
