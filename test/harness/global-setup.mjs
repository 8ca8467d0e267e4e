// Starts the emulators once for the whole Jest run and exports their endpoints to process.env,
// which the test workers inherit. fauxqs is ESM only, hence an .mjs setup that loads the
// TypeScript module through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startEmulators } = await tsImport('../../cli/emulators.ts', import.meta.url);
  const engine = process.env.TRAIL_INDEX_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';
  const emulators = await startEmulators({ dynamodb: engine });
  Object.assign(process.env, emulators.env, { TRAIL_INDEX_TEST_DYNAMODB_ENGINE: engine });
  // The indexer's Powertools output would drown the test report; set these to see it.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  globalThis.__trailIndexEmulators = emulators;
}
