// Starts the emulators once for the whole Jest run and exports their endpoints to process.env,
// which the test workers inherit. fauxqs is ESM only, hence an .mjs setup that loads the
// TypeScript module through tsx.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startEmulators } = await tsImport('../../cli/emulators.ts', import.meta.url);
  const engine = process.env.TRAIL_INDEX_TEST_DYNAMODB === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';
  const emulators = await startEmulators({ dynamodb: engine });
  Object.assign(process.env, emulators.env, { TRAIL_INDEX_TEST_DYNAMODB_ENGINE: engine });
  globalThis.__trailIndexEmulators = emulators;
}
