/**
 * The emulators module itself: a persisted index survives a restart, provisioning twice is
 * harmless, and everything listens on loopback. Runs emulator sessions in child processes, apart
 * from the run's own emulators.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const tsx = join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
const session = join(__dirname, 'fixtures', 'emulator-session.ts');

interface SessionOutput {
  endpoints: Record<string, string>;
  sameOnReprovision: boolean;
  item: Record<string, unknown> | null;
}

async function emulatorSession(dataDir: string, mode: 'write' | 'read'): Promise<SessionOutput> {
  const { stdout } = await run(process.execPath, [tsx, session, dataDir, mode], { timeout: 60_000 });
  return JSON.parse(stdout) as SessionOutput;
}

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'trail-index-emulators-'));
});

afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

test('with a data directory the index survives a restart, and provisioning again is harmless', async () => {
  // Prepare
  const written = await emulatorSession(dataDir, 'write');
  // Act
  const reread = await emulatorSession(dataDir, 'read');
  // Assess
  expect(written.item).toEqual({ pk: 'EVENT#persisted', sk: 'EVENT', eventID: 'persisted' });
  expect(reread).toEqual(expect.objectContaining({ item: written.item, sameOnReprovision: true }));
});

test('every endpoint listens on 127.0.0.1', async () => {
  // Act
  const { endpoints } = await emulatorSession(dataDir, 'read');
  // Assess
  expect(Object.keys(endpoints).sort()).toEqual(['dynamodb', 's3', 'sns', 'sqs']);
  for (const url of Object.values(endpoints)) expect(new URL(url).hostname).toBe('127.0.0.1');
});

test("the run's emulators are exported to the workers' environment", () => {
  // Assess
  for (const name of [
    'AWS_ENDPOINT_URL_S3',
    'AWS_ENDPOINT_URL_SNS',
    'AWS_ENDPOINT_URL_SQS',
    'AWS_ENDPOINT_URL_DYNAMODB',
  ]) {
    expect(new URL(process.env[name] ?? 'http://missing').hostname).toBe('127.0.0.1');
  }
});
