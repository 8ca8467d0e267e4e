/**
 * The local index: the dynalite directory `trail-index local --data DIR` writes, and what
 * `query --local --data DIR` opens later.
 *
 * Layout of a data directory:
 * - `dynamodb/`     the table (dynalite's LevelDB files)
 * - `local.json`    what `local` created: table name, region, and the endpoints while `--serve` runs
 * - `indexer.log`   the indexer's structured (JSON) log lines of every run
 * - `lock`          the process that has the table open (dynalite's LevelDB admits one)
 */
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CliError } from './errors';
import { startEmulators } from './emulators';

/** Default `--data`: in the working directory, gitignored. */
export const DEFAULT_DATA_DIR = '.trail-index';

export const localPaths = (dataDir: string) => ({
  root: resolve(dataDir),
  dynamodb: join(resolve(dataDir), 'dynamodb'),
  manifest: join(resolve(dataDir), 'local.json'),
  indexerLog: join(resolve(dataDir), 'indexer.log'),
  lock: join(resolve(dataDir), 'lock'),
});

export interface LocalManifest {
  readonly tableName: string;
  readonly region: string;
  /** Set while `local --serve` holds the directory (dynalite locks it). */
  readonly serving?: { readonly pid: number; readonly dynamodbEndpoint: string };
}

export function readManifest(dataDir: string): LocalManifest | undefined {
  const path = localPaths(dataDir).manifest;
  if (!existsSync(path)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('tableName' in parsed) ||
    typeof parsed.tableName !== 'string' ||
    !('region' in parsed) ||
    typeof parsed.region !== 'string'
  ) {
    throw new CliError(`${path} is not a trail-index local manifest`);
  }
  const serving =
    'serving' in parsed &&
    typeof parsed.serving === 'object' &&
    parsed.serving !== null &&
    'pid' in parsed.serving &&
    typeof parsed.serving.pid === 'number' &&
    'dynamodbEndpoint' in parsed.serving &&
    typeof parsed.serving.dynamodbEndpoint === 'string'
      ? { pid: parsed.serving.pid, dynamodbEndpoint: parsed.serving.dynamodbEndpoint }
      : undefined;
  return { tableName: parsed.tableName, region: parsed.region, ...(serving ? { serving } : {}) };
}

export function writeManifest(dataDir: string, manifest: LocalManifest): void {
  writeFileSync(localPaths(dataDir).manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the table of a local data directory: through the running `local --serve` when there is one
 * (dynalite's LevelDB admits one process), else on a dynalite of its own over the same files.
 */
export async function openLocalIndex(dataDir: string): Promise<{
  client: DynamoDBClient;
  tableName: string;
  description: string;
  local: true;
  close(): Promise<void>;
}> {
  const manifest = readManifest(dataDir);
  if (manifest === undefined) {
    throw new CliError(
      `no local index in ${localPaths(dataDir).root}: run \`trail-index local --data ${dataDir}\` first`,
    );
  }
  const local = { region: manifest.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  if (manifest.serving !== undefined && isAlive(manifest.serving.pid)) {
    const client = new DynamoDBClient({ ...local, endpoint: manifest.serving.dynamodbEndpoint });
    return {
      client,
      tableName: manifest.tableName,
      description: `local index in ${dataDir} (served by process ${manifest.serving.pid})`,
      local: true,
      close: () => Promise.resolve(client.destroy()),
    };
  }
  const release = await lockDataDir(dataDir);
  let emulators;
  try {
    emulators = await startEmulators({ dataDir: localPaths(dataDir).dynamodb, region: manifest.region });
  } catch (err) {
    release();
    throw err;
  }
  const client = new DynamoDBClient({ ...local, endpoint: emulators.endpoints.dynamodb });
  return {
    client,
    tableName: manifest.tableName,
    description: `local index in ${dataDir}`,
    local: true,
    close: async () => {
      client.destroy();
      await emulators.stop();
      release();
    },
  };
}

/**
 * Takes the data directory for this process: dynalite's LevelDB admits one process, and a second
 * one fails inside dynalite, out of reach of error handling. A lock left by a process that is gone
 * is taken over; a live holder is waited for, up to `waitMs`. Returns the release function.
 */
export async function lockDataDir(
  dataDir: string,
  waitMs = 60_000,
  onWait: (holder: number) => void = (holder) =>
    void process.stderr.write(`waiting for process ${holder}, which has the local index open...\n`),
): Promise<() => void> {
  let waited = false;
  const path = localPaths(dataDir).lock;
  const deadline = Date.now() + waitMs;
  for (;;) {
    // Written aside, then linked into place: the lock never exists without its pid in it.
    const mine = `${path}.${process.pid}`;
    writeFileSync(mine, String(process.pid));
    try {
      linkSync(mine, path);
      return () => rmSync(path, { force: true });
    } catch (err) {
      // Checked by shape: errors from node:fs may come from another realm (e.g. under Jest).
      if (typeof err !== 'object' || err === null || !('code' in err) || err.code !== 'EEXIST') throw err;
    } finally {
      rmSync(mine, { force: true });
    }
    let holder: number;
    try {
      holder = Number(readFileSync(path, 'utf8').trim());
    } catch {
      continue; // Released in the meantime.
    }
    if (!Number.isInteger(holder) || holder <= 0 || (holder !== process.pid && !isAlive(holder))) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      throw new CliError(`the local index in ${localPaths(dataDir).root} is in use by process ${holder}`);
    }
    if (!waited) onWait(holder);
    waited = true;
    await new Promise((done) => setTimeout(done, 100));
  }
}
