/**
 * A local folder of downloaded log and digest files, laid out by their S3 keys (as `aws s3 sync`
 * leaves them), read as the verifier reads a bucket. A download loses the digests' S3 metadata, so
 * each digest's signature comes from a sidecar file `<digest>.metadata.json`, the `Metadata` that
 * `aws s3api head-object` prints for it.
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { hashLogFile } from '../lambdas/indexer/log-file-hash';
import type { DigestStore, PublicKeyEntry, PublicKeySource } from '../lambdas/verifier/digest-traverser';
import type { LogFileHasher } from '../lambdas/verifier/log-file-check';
import { UsageError } from './errors';

export const METADATA_SUFFIX = '.metadata.json';

/** Every file under `root` as an S3 key, in S3's order (UTF-8 bytes), sidecars left out. */
export async function folderKeys(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.endsWith(METADATA_SUFFIX))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function fromArray<T>(items: readonly T[]): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = items[Symbol.iterator]();
      return { next: () => Promise.resolve(iterator.next()) };
    },
  };
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EISDIR';
}

/** The folder holds one bucket's objects; the bucket name given to it is not part of the paths. */
export async function folderStore(root: string): Promise<DigestStore & LogFileHasher> {
  const keys = await folderKeys(root);
  const pathOf = (key: string) => join(root, ...key.split('/'));
  return {
    listKeys: (_bucket, prefix, startAfter) =>
      fromArray(keys.filter((key) => key.startsWith(prefix) && key > startAfter)),
    listFolders: (_bucket, prefix) => {
      const folders = new Set<string>();
      for (const key of keys) {
        const slash = key.startsWith(prefix) ? key.indexOf('/', prefix.length) : -1;
        if (slash >= 0) folders.add(key.slice(0, slash + 1));
      }
      return fromArray([...folders]);
    },
    async getObject(_bucket, key) {
      let body: Buffer;
      try {
        body = await readFile(pathOf(key));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      let metadata: Record<string, string> = {};
      try {
        const parsed: unknown = JSON.parse(await readFile(`${pathOf(key)}${METADATA_SUFFIX}`, 'utf8'));
        if (typeof parsed === 'object' && parsed !== null) {
          metadata = Object.fromEntries(
            Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
          );
        }
      } catch (err) {
        if (!isMissing(err)) throw new UsageError(`${pathOf(key)}${METADATA_SUFFIX} is not JSON metadata`);
      }
      return { body, metadata };
    },
    async hash(_bucket, key) {
      const stream = createReadStream(pathOf(key));
      try {
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', reject);
        });
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      return hashLogFile(stream);
    },
  };
}

/**
 * Public keys from a file: the JSON that `aws cloudtrail list-public-keys` prints
 * (`{"PublicKeyList":[{"Fingerprint","Value","ValidityStartTime","ValidityEndTime"}]}`).
 */
export async function publicKeyFile(path: string): Promise<PublicKeySource> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--public-keys ${path}: ${(err as Error).message}`);
  }
  const list = (parsed as { PublicKeyList?: unknown }).PublicKeyList;
  if (!Array.isArray(list)) {
    throw new UsageError(
      `--public-keys ${path}: expected the output of aws cloudtrail list-public-keys (a PublicKeyList)`,
    );
  }
  const keys = list.map((item: unknown, at) => {
    const { Fingerprint, Value, ValidityStartTime, ValidityEndTime } = (item ?? {}) as Record<
      string,
      unknown
    >;
    if (typeof Fingerprint !== 'string' || typeof Value !== 'string') {
      throw new UsageError(`--public-keys ${path}: PublicKeyList[${at}] needs a Fingerprint and a Value`);
    }
    const time = (value: unknown, fallback: number) =>
      typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : fallback;
    return {
      entry: { fingerprint: Fingerprint, value: Buffer.from(Value, 'base64') } satisfies PublicKeyEntry,
      from: time(ValidityStartTime, -Infinity),
      to: time(ValidityEndTime, Infinity),
    };
  });
  return {
    inRange: (start, end) =>
      Promise.resolve(
        keys.filter((k) => k.from <= end.getTime() && k.to >= start.getTime()).map((k) => k.entry),
      ),
  };
}
