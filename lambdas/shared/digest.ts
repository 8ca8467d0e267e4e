/**
 * CloudTrail digest files, the pure core of their verification: reading a digest, the string
 * CloudTrail signs, the RSA signature, the link to the previous digest and a log file's hash. It
 * follows the reference, `aws cloudtrail validate-logs` (awscli/customizations/cloudtrail/
 * validation.py), and the CloudTrail User Guide's "Validating CloudTrail log file integrity with
 * custom implementations". S3, CloudTrail's ListPublicKeys and the chain's traversal are adapters
 * around it.
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

/** The fields the reference requires of every digest (validation.py, `required_digest_keys`). */
export const REQUIRED_DIGEST_FIELDS = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
] as const;

export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  /** Hex SHA-256 of the decompressed log file. */
  readonly hashValue: string;
  readonly hashAlgorithm?: string;
  readonly oldestEventTime?: string;
  readonly newestEventTime?: string;
}

/** A digest file as CloudTrail writes it, with the signature from its S3 object metadata. */
export interface Digest {
  readonly awsAccountId?: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly digestSignatureAlgorithm?: string;
  readonly previousDigestS3Bucket?: string | null;
  readonly previousDigestS3Object?: string | null;
  readonly previousDigestSignature: string | null;
  readonly logFiles: readonly DigestLogFile[];
  /** Hex RSA signature, from the object's `signature` metadata. */
  readonly signature: string;
  /** From the object's `signature-algorithm` metadata, e.g. `SHA256withRSA`. */
  readonly signatureAlgorithm: string;
  /** For `_backfill` digests, from the `backfill-generation-timestamp` metadata. */
  readonly backfillGenerationTimestamp?: string;
}

/** Why a digest is not valid, with the reference's wording where it has one. */
export class DigestInvalidError extends Error {
  override readonly name = 'DigestInvalidError';
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly reason:
      'invalid-format' | 'moved' | 'unknown-public-key' | 'bad-public-key' | 'invalid-signature',
    detail: string,
  ) {
    super(`Digest file\ts3://${bucket}/${key}\tINVALID: ${detail}`);
  }
}

/** Whether a digest key is a backfill digest, as validation.py tells them: `…_backfill.json.gz`. */
export function isBackfillDigestKey(key: string): boolean {
  return key.endsWith('_backfill.json.gz');
}

/**
 * The time in a digest key (`…_<YYYYMMDDTHHMMSSZ>.json.gz`, or before `_backfill.json.gz`), as
 * validation.py's `extract_digest_key_date` reads it: the 16 characters at a fixed place from the
 * end. Undefined when they are not such a time.
 */
export function digestKeyDate(key: string): Date | undefined {
  const text = isBackfillDigestKey(key) ? key.slice(-33, -17) : key.slice(-24, -8);
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a digest from its decompressed bytes and its object metadata, checking what the reference
 * checks before the signature: valid JSON, the required fields, the signature metadata (and the
 * backfill timestamp of a backfill digest), and that it lies where it says it was written.
 */
export function readDigest(
  inflated: Uint8Array,
  metadata: Readonly<Record<string, string | undefined>>,
  location: { readonly bucket: string; readonly key: string },
): Digest {
  const { bucket, key } = location;
  const invalidFormat = () => new DigestInvalidError(bucket, key, 'invalid-format', 'invalid format');
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(inflated).toString('utf8'));
  } catch {
    throw invalidFormat();
  }
  if (!isObject(data)) throw invalidFormat();
  // The reference's order: the signature metadata, the backfill timestamp, then the fields.
  const signature = metadata.signature;
  const signatureAlgorithm = metadata['signature-algorithm'];
  if (signature === undefined || signatureAlgorithm === undefined) {
    throw new DigestInvalidError(bucket, key, 'invalid-signature', 'signature verification failed');
  }
  const backfill = metadata['backfill-generation-timestamp'];
  if (isBackfillDigestKey(key) && backfill === undefined) throw invalidFormat();
  for (const field of REQUIRED_DIGEST_FIELDS) if (!(field in data)) throw invalidFormat();
  if (data.digestS3Bucket !== bucket || data.digestS3Object !== key) {
    throw new DigestInvalidError(bucket, key, 'moved', 'has been moved from its original location');
  }
  const logFiles = Array.isArray(data.logFiles) ? data.logFiles.filter(isObject) : [];
  return {
    ...(data as unknown as Omit<Digest, 'signature' | 'signatureAlgorithm' | 'logFiles'>),
    logFiles: logFiles as unknown as DigestLogFile[],
    signature,
    signatureAlgorithm,
    ...(backfill === undefined ? {} : { backfillGenerationTimestamp: backfill }),
  };
}

/**
 * The string CloudTrail signs: `digestEndTime`, `bucket/key`, the hex SHA-256 of the exact
 * decompressed digest bytes and the previous digest's signature (the literal `null` for the first
 * of a chain), joined by newlines.
 */
export function stringToSign(digest: Digest, inflated: Uint8Array): string {
  const hash = createHash('sha256').update(inflated).digest('hex');
  return [
    digest.digestEndTime,
    `${digest.digestS3Bucket}/${digest.digestS3Object}`,
    hash,
    digest.previousDigestSignature ?? 'null',
  ].join('\n');
}

/**
 * A CloudTrail public key from ListPublicKeys' `Value`: the DER bytes of an RSA key, which an SDK
 * may hand over as bytes or as base64 text, in PKCS#1 (what CloudTrail serves) or SPKI form.
 */
export function publicKeyFrom(value: Uint8Array | string): KeyObject {
  if (typeof value === 'string') return keyFromDer(Buffer.from(value, 'base64'));
  try {
    return keyFromDer(Buffer.from(value));
  } catch (err) {
    // CloudTrail's \`Value\` blob holds the key's base64 text, which an SDK decodes once into bytes
    // (the reference base64-decodes them again): those bytes are ASCII base64, not DER.
    const text = Buffer.from(value).toString('latin1');
    if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) throw err;
    return keyFromDer(Buffer.from(text, 'base64'));
  }
}

function keyFromDer(der: Buffer): KeyObject {
  try {
    return createPublicKey({ key: der, format: 'der', type: 'pkcs1' });
  } catch {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  }
}

/** Verifies the digest's RSA PKCS#1 v1.5 SHA-256 signature; throws DigestInvalidError if it fails. */
export function verifyDigestSignature(
  digest: Digest,
  inflated: Uint8Array,
  publicKey: Uint8Array | string,
): void {
  const { digestS3Bucket: bucket, digestS3Object: key } = digest;
  let keyObject: KeyObject;
  try {
    keyObject = publicKeyFrom(publicKey);
  } catch {
    throw new DigestInvalidError(
      bucket,
      key,
      'bad-public-key',
      `Unable to load PKCS #1 key with fingerprint ${digest.digestPublicKeyFingerprint}`,
    );
  }
  const signature = /^[0-9a-fA-F]*$/.test(digest.signature)
    ? Buffer.from(digest.signature, 'hex')
    : undefined;
  const valid =
    signature !== undefined &&
    signature.length > 0 &&
    verify('sha256', Buffer.from(stringToSign(digest, inflated), 'utf8'), keyObject, signature);
  if (!valid) throw new DigestInvalidError(bucket, key, 'invalid-signature', 'signature verification failed');
}

/**
 * What is wrong with the link from `newer` back to `older`, the digest it names as its previous
 * one; undefined when the link holds. A chain that restarts (`previousDigestSignature: null`) is a
 * gap, not a broken link.
 */
export function chainLinkProblem(newer: Digest, older: Digest): string | undefined {
  if (newer.previousDigestSignature === null) return undefined;
  if (
    newer.previousDigestS3Bucket !== older.digestS3Bucket ||
    newer.previousDigestS3Object !== older.digestS3Object
  ) {
    return `names s3://${newer.previousDigestS3Bucket ?? ''}/${newer.previousDigestS3Object ?? ''} as its previous digest, not s3://${older.digestS3Bucket}/${older.digestS3Object}`;
  }
  if (newer.previousDigestSignature.toLowerCase() !== older.signature.toLowerCase()) {
    return `the previous digest's signature does not match the one s3://${newer.digestS3Bucket}/${newer.digestS3Object} signed`;
  }
  return undefined;
}

/** Whether the digest starts a new chain: a gap before it, unless it is the first ever written. */
export function startsNewChain(digest: Digest): boolean {
  return digest.previousDigestSignature === null;
}

/** Whether a log file's decompressed bytes have the SHA-256 the digest lists for it. */
export function logFileHashMatches(listed: DigestLogFile, sha256Hex: string): boolean {
  return listed.hashValue.toLowerCase() === sha256Hex.toLowerCase();
}
