/**
 * The resumable checkpoint of `trail-index backfill`: which log files are done, so that a rerun
 * after an interruption (Ctrl-C, a lost connection, a crash) processes only the rest.
 *
 * It holds the keys completed so far and, to stay small over months of history, folds the keys of
 * a day folder into the folder itself once every file of that day is done and the day is closed
 * (CloudTrail no longer delivers into it). It is written atomically (temporary file + rename), so a
 * crash mid-write leaves the previous version, never a torn file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliError } from './errors';

const VERSION = 1;

/**
 * How long after a day ends CloudTrail may still deliver into its folder. Delivery is "typically
 * within 5 minutes" and not guaranteed, so a full day of margin.
 */
const DAY_CLOSED_AFTER_MS = 2 * 86_400_000;

/** The file format. */
interface CheckpointFile {
  readonly version: typeof VERSION;
  readonly bucket: string;
  readonly prefix: string;
  readonly updatedAt: string;
  /** Day folders (`.../CloudTrail/<region>/YYYY/MM/DD/`) whose every log file is done. */
  readonly completedDays: readonly string[];
  /** Log files done outside {@link completedDays}, sorted. */
  readonly completedKeys: readonly string[];
}

/** What the checkpoint belongs to: a checkpoint of another bucket or prefix is refused. */
export interface CheckpointScope {
  readonly bucket: string;
  readonly prefix: string;
}

export class BackfillCheckpoint {
  private readonly days: Set<string>;
  private readonly keys: Set<string>;
  private writing: Promise<void> | undefined;
  private dirty = false;

  private constructor(
    /** Where it is saved; `undefined` keeps it in memory only (dry runs). */
    readonly path: string | undefined,
    private readonly scope: CheckpointScope,
    days: Iterable<string>,
    keys: Iterable<string>,
  ) {
    this.days = new Set(days);
    this.keys = new Set(keys);
  }

  /** An empty checkpoint that {@link save} writes to `path` (replacing any file there). */
  static fresh(path: string | undefined, scope: CheckpointScope): BackfillCheckpoint {
    return new BackfillCheckpoint(path, scope, [], []);
  }

  /** Reads `path`; a missing file is an empty checkpoint. */
  static async load(path: string, scope: CheckpointScope): Promise<BackfillCheckpoint> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if (isNodeError(err) && err.code === 'ENOENT') return BackfillCheckpoint.fresh(path, scope);
      throw new CliError(`cannot read checkpoint ${path}: ${messageOf(err)}`, { cause: err });
    }
    const file = parseCheckpoint(text);
    if (file === undefined) {
      throw new CliError(
        `checkpoint ${path} is not a trail-index backfill checkpoint: remove it or pass --restart`,
      );
    }
    if (file.bucket !== scope.bucket || file.prefix !== scope.prefix) {
      throw new CliError(
        `checkpoint ${path} belongs to s3://${file.bucket}/${file.prefix}, not s3://${scope.bucket}/${scope.prefix}: ` +
          'pass another --checkpoint or --restart',
      );
    }
    return new BackfillCheckpoint(path, scope, file.completedDays, file.completedKeys);
  }

  /** Whether the file was completed by an earlier run (or earlier in this one). */
  isDone(key: string, dayPrefix: string): boolean {
    return this.days.has(dayPrefix) || this.keys.has(key);
  }

  get completedFiles(): number {
    return this.keys.size;
  }

  get completedDays(): number {
    return this.days.size;
  }

  markDone(key: string): void {
    this.keys.add(key);
    this.dirty = true;
  }

  /**
   * Records that every file listed under `dayPrefix` is done. A day that CloudTrail may still
   * deliver into keeps its individual keys, so that files arriving later are not skipped.
   */
  markDayDone(dayPrefix: string, keys: Iterable<string>, now: Date = new Date()): void {
    if (!isDayClosed(dayPrefix, now)) return;
    this.days.add(dayPrefix);
    for (const key of keys) this.keys.delete(key);
    this.dirty = true;
  }

  /**
   * Writes the checkpoint if it changed. Calls while a write is in flight coalesce into one more
   * write after it, so it can be called after every file without queueing a write per file.
   */
  async save(): Promise<void> {
    if (this.path === undefined) return;
    while (this.writing !== undefined) await this.writing;
    if (!this.dirty) return;
    this.dirty = false;
    const path = this.path;
    this.writing = writeAtomically(path, `${JSON.stringify(this.toFile(), null, 1)}\n`)
      .catch((err: unknown) => {
        this.dirty = true;
        throw new CliError(`cannot write checkpoint ${path}: ${messageOf(err)}`, { cause: err });
      })
      .finally(() => {
        this.writing = undefined;
      });
    await this.writing;
  }

  private toFile(): CheckpointFile {
    return {
      version: VERSION,
      bucket: this.scope.bucket,
      prefix: this.scope.prefix,
      updatedAt: new Date().toISOString(),
      completedDays: [...this.days].sort(),
      completedKeys: [...this.keys].sort(),
    };
  }
}

/** The default checkpoint path for a stack (or bucket), under `.trail-index/` in the working directory. */
export function defaultCheckpointPath(name: string): string {
  return `.trail-index/backfill-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

let tempCounter = 0;

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  tempCounter += 1;
  const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
  await writeFile(temp, text, 'utf8');
  // rename(2) within one directory replaces the target atomically: readers see old or new, never half.
  await rename(temp, path);
}

/** `.../YYYY/MM/DD/` → whether the day ended long enough ago that no more files arrive in it. */
function isDayClosed(dayPrefix: string, now: Date): boolean {
  const match = /(\d{4})\/(\d{2})\/(\d{2})\/$/.exec(dayPrefix);
  if (!match) return false;
  const dayStart = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return now.getTime() - dayStart >= DAY_CLOSED_AFTER_MS;
}

function parseCheckpoint(text: string): CheckpointFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    v.version !== VERSION ||
    typeof v.bucket !== 'string' ||
    typeof v.prefix !== 'string' ||
    !isStringArray(v.completedDays) ||
    !isStringArray(v.completedKeys)
  ) {
    return undefined;
  }
  return {
    version: VERSION,
    bucket: v.bucket,
    prefix: v.prefix,
    updatedAt: typeof v.updatedAt === 'string' ? v.updatedAt : '',
    completedDays: v.completedDays,
    completedKeys: v.completedKeys,
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((x) => typeof x === 'string');
}

function isNodeError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && 'code' in err;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
