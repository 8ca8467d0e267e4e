/**
 * The digest chain of one trail in one account and region, walked exactly as `aws cloudtrail
 * validate-logs` walks it (awscli/customizations/cloudtrail/validation.py, DigestProvider and
 * DigestTraverser): the digest keys in the range, newest first, each digest validated and then
 * followed to the one it names as its previous; a digest with no previous one ends a chain, and
 * the walk goes on from the next older key, reporting a gap. Missing and invalid digests are
 * reported and skipped the same way. S3 and CloudTrail are reached through {@link DigestStore} and
 * {@link PublicKeySource}, so the same walk runs on a bucket or on a local folder.
 */
import { gunzipSync } from 'node:zlib';
import {
  type Digest,
  DigestInvalidError,
  digestKeyDate,
  isBackfillDigestKey,
  readDigest,
  verifyDigestSignature,
} from '../shared/digest';

/** Where one trail's digests for one account and region lie. */
export interface ChainScope {
  readonly bucket: string;
  /** The trail's key prefix, without a trailing slash; undefined or empty for none. */
  readonly prefix?: string;
  readonly accountId: string;
  /** For organization trails: the `o-…` level of the key layout. */
  readonly organizationId?: string;
  readonly trailName: string;
  /** The trail's home region (in its ARN). */
  readonly homeRegion: string;
  /** The region whose digests are walked. */
  readonly sourceRegion: string;
}

export interface StoredObject {
  /** The object's bytes as stored (a digest is gzip). */
  readonly body: Uint8Array;
  /** User metadata, names without `x-amz-meta-`. */
  readonly metadata: Readonly<Record<string, string | undefined>>;
}

export interface DigestStore {
  /** Keys under `prefix` after `startAfter`, in S3's (UTF-8 binary) order. */
  listKeys(bucket: string, prefix: string, startAfter: string): AsyncIterable<string>;
  /** The "folders" right under `prefix` (S3's common prefixes for the delimiter `/`), each ending in `/`. */
  listFolders(bucket: string, prefix: string): AsyncIterable<string>;
  /** The object, or undefined when there is no such key. */
  getObject(bucket: string, key: string): Promise<StoredObject | undefined>;
}

export interface PublicKeyEntry {
  readonly fingerprint: string;
  /** ListPublicKeys' `Value`: DER bytes, their base64 text, or that text's bytes. */
  readonly value: Uint8Array | string;
}

export interface PublicKeySource {
  /** CloudTrail's public keys of the walked region valid in [start, end] (ListPublicKeys). */
  inRange(start: Date, end: Date): Promise<readonly PublicKeyEntry[]>;
}

/** What the walk reports, in the order the reference reports it. */
export type ChainOutcome =
  | { readonly kind: 'valid'; readonly backfill: boolean; readonly digest: Digest }
  | {
      readonly kind: 'invalid';
      readonly backfill: boolean;
      readonly bucket: string;
      readonly key: string;
      /** The reference's whole line: `Digest file\ts3://…\tINVALID: …`. */
      readonly message: string;
      readonly reason: DigestInvalidError['reason'] | 'error';
    }
  | { readonly kind: 'missing'; readonly backfill: boolean; readonly bucket: string; readonly key: string }
  | {
      readonly kind: 'gap';
      readonly backfill: boolean;
      /** End of the older digest found after the gap (from its key). */
      readonly nextEndDate: Date;
      /** Start of the digest before which nothing was delivered. */
      readonly lastStartDate: Date;
    };

/** Thrown when CloudTrail has no public key in the range at all: the reference stops there. */
export class NoPublicKeysError extends Error {
  override readonly name = 'NoPublicKeysError';
}

const HOUR = 3_600_000;

/** `YYYYMMDDTHHMMSSZ`, the time format of digest keys. */
export function keyDateText(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** `YYYY-MM-DDTHH:MM:SSZ`, how the reference prints a time. */
export function displayDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function withPrefix(prefix: string | undefined, key: string): string {
  return prefix === undefined || prefix === '' ? key : `${prefix}/${key}`;
}

/** `[prefix/]AWSLogs/[o-id/]<account>/CloudTrail-Digest/<region>`: where the region's digests lie. */
export function digestRegionPrefix(scope: ChainScope): string {
  const org = scope.organizationId === undefined ? '' : `${scope.organizationId}/`;
  return withPrefix(scope.prefix, `AWSLogs/${org}${scope.accountId}/CloudTrail-Digest/${scope.sourceRegion}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** Matches the keys of this trail's digests (standard and backfill) in the region. */
export function digestKeyPattern(scope: ChainScope): RegExp {
  const name = `${escapeRegExp(scope.accountId)}_CloudTrail\\-Digest_${escapeRegExp(scope.sourceRegion)}_${escapeRegExp(scope.trailName)}_${escapeRegExp(scope.homeRegion)}_.+(?:_backfill)?\\.json\\.gz`;
  return new RegExp(`^${escapeRegExp(digestRegionPrefix(scope))}/\\d+/\\d+/\\d+/${name}$`, 's');
}

/**
 * The digest keys of the trail in [start, end + 1 hour], oldest first, split into standard and
 * backfill ones; listing starts at the key a digest of `start - 1 minute` would have.
 */
export async function listDigestKeys(
  store: DigestStore,
  scope: ChainScope,
  start: Date,
  end: Date,
  bucket: string = scope.bucket,
): Promise<{ standard: string[]; backfill: string[] }> {
  const marker = new Date(start.getTime() - 60_000);
  const ymd = marker.toISOString().slice(0, 10).replace(/-/g, '/');
  const startAfter = `${digestRegionPrefix(scope)}/${ymd}/${scope.accountId}_CloudTrail-Digest_${scope.sourceRegion}_${scope.trailName}_${scope.homeRegion}_${keyDateText(marker)}.json.gz`;
  const pattern = digestKeyPattern(scope);
  const lowest = keyDateText(start);
  const highest = keyDateText(new Date(end.getTime() + HOUR));
  const standard: string[] = [];
  const backfill: string[] = [];
  for await (const key of store.listKeys(bucket, digestRegionPrefix(scope), startAfter)) {
    if (!pattern.test(key)) continue;
    const date = keyDateOf(key);
    // The reference compares the key's time text; it stops at the first key past the range.
    if (date > highest) break;
    if (date < lowest) continue;
    (isBackfillDigestKey(key) ? backfill : standard).push(key);
  }
  return { standard, backfill };
}

function keyDateOf(key: string): string {
  return isBackfillDigestKey(key) ? key.slice(-33, -17) : key.slice(-24, -8);
}

function dateOfKey(key: string): Date {
  const date = digestKeyDate(key);
  if (date === undefined) throw new Error(`Unable to parse date value: ${keyDateOf(key)}`);
  return date;
}

export function parseTime(text: unknown): Date {
  const date = typeof text === 'string' ? new Date(text) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new Error(`Unable to parse date value: ${String(text)}`);
  return date;
}

/** The digest's inflated bytes: the first gzip member, as the reference's zlib call reads it. */
function inflate(body: Uint8Array): Buffer | undefined {
  try {
    return gunzipSync(body);
  } catch {
    return undefined;
  }
}

/**
 * Walks the chain over [start, end] and yields each digest's outcome: valid digests (their log
 * files are the caller's to check), invalid and missing ones, and gaps.
 */
export async function* traverseDigests(
  store: DigestStore,
  keySource: PublicKeySource,
  scope: ChainScope,
  start: Date,
  end: Date,
  backfill: boolean,
): AsyncGenerator<ChainOutcome> {
  let bucket = scope.bucket;
  const listed = await listDigestKeys(store, scope, start, end, bucket);
  let digests = backfill ? listed.backfill : listed.standard;
  const publicKeys = new Map<string, PublicKeyEntry['value']>();
  const loadKeys = async (from: Date, to: Date) => {
    const found = await keySource.inRange(from, to);
    if (found.length === 0) {
      throw new NoPublicKeysError(`No public keys found between ${displayDate(from)} and ${displayDate(to)}`);
    }
    for (const entry of found) publicKeys.set(entry.fingerprint, entry.value);
  };
  // Standard digests: the keys of the whole range up front; backfill digests load their own.
  if (!backfill) await loadKeys(start, new Date(end.getTime() + 2 * HOUR));

  /** The newest key, or the newest older than `before` (popping what it passes, as the reference does). */
  const lastDigest = (before?: string): [string, Date] | undefined => {
    if (before === undefined) {
      const key = digests.pop();
      return key === undefined ? undefined : [key, dateOfKey(key)];
    }
    const beforeDate = dateOfKey(before);
    while (digests.length > 0) {
      const key = digests.pop()!;
      const date = dateOfKey(key);
      if (date < beforeDate) return [key, date];
    }
    return undefined;
  };

  let next = lastDigest();
  let lastStartDate = next?.[1];
  while (next !== undefined && lastStartDate !== undefined && start <= lastStartDate) {
    const [key] = next;
    let outcome: ChainOutcome | undefined;
    try {
      const stored = await store.getObject(bucket, key);
      if (stored === undefined) {
        yield { kind: 'missing', backfill, bucket, key };
        next = lastDigest(key);
        continue;
      }
      const digest = await validate(stored, bucket, key);
      lastStartDate = parseTime(digest.digestStartTime);
      yield { kind: 'valid', backfill, digest };
      const previousBucket = digest.previousDigestS3Bucket ?? undefined;
      const previousKey = digest.previousDigestS3Object ?? undefined;
      if (previousBucket === undefined || previousKey === undefined) {
        // The chain ends: logging stopped or validation was off. Go on from the next older key.
        const older = lastDigest(key);
        if (older !== undefined) {
          yield { kind: 'gap', backfill, nextEndDate: older[1], lastStartDate };
        }
        next = older;
      } else {
        next = [previousKey, dateOfKey(previousKey)];
        if (previousBucket !== bucket) {
          bucket = previousBucket;
          const relisted = await listDigestKeys(store, scope, start, parseTime(digest.digestEndTime), bucket);
          digests = backfill ? relisted.backfill : relisted.standard;
        }
      }
      continue;
    } catch (err) {
      if (err instanceof NoPublicKeysError && !backfill) throw err;
      outcome =
        err instanceof DigestInvalidError
          ? { kind: 'invalid', backfill, bucket, key, message: err.message, reason: err.reason }
          : {
              kind: 'invalid',
              backfill,
              bucket,
              key,
              message: `Digest file\ts3://${bucket}/${key}\tINVALID: ${(err as Error).message}`,
              reason: 'error',
            };
    }
    yield outcome;
    next = lastDigest(key);
  }

  async function validate(stored: StoredObject, bucket: string, key: string): Promise<Digest> {
    return checkDigest(stored, { bucket, key }, scope.homeRegion, async (digest) => {
      if (!publicKeys.has(digest.digestPublicKeyFingerprint) && backfill) {
        const generated = parseTime(digest.backfillGenerationTimestamp);
        await loadKeys(new Date(generated.getTime() - HOUR), new Date(generated.getTime() + HOUR));
      }
      return publicKeys.get(digest.digestPublicKeyFingerprint);
    });
  }
}

/**
 * One digest checked as the reference checks it: gzip and JSON, signature metadata, required
 * fields, original location, a public key with its fingerprint (from `publicKeyFor`), and the
 * signature. Returns the digest or throws DigestInvalidError with the reference's message.
 */
export async function checkDigest(
  stored: StoredObject,
  location: { readonly bucket: string; readonly key: string },
  keyRegion: string,
  publicKeyFor: (digest: Digest) => Promise<PublicKeyEntry['value'] | undefined>,
): Promise<Digest> {
  const { bucket, key } = location;
  const inflated = inflate(stored.body);
  if (inflated === undefined) throw new DigestInvalidError(bucket, key, 'invalid-format', 'invalid format');
  const digest = readDigest(inflated, stored.metadata, { bucket, key });
  const value = await publicKeyFor(digest);
  if (value === undefined) {
    throw new DigestInvalidError(
      bucket,
      key,
      'unknown-public-key',
      `public key not found in region ${keyRegion} for fingerprint ${digest.digestPublicKeyFingerprint}`,
    );
  }
  verifyDigestSignature(digest, inflated, value);
  return digest;
}
