/**
 * Writes digest files exactly as CloudTrail does, with a key pair of our own: the digest JSON,
 * gzip, and the hex SHA256withRSA signature of the string to sign in the object's metadata. The
 * shipped samples carry a chain signed this way (with the committed sample key), and the tests sign
 * every case they verify.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { stringToSign, type Digest } from '../lambdas/shared/digest';
import { keyDateText } from '../lambdas/verifier/digest-traverser';

export interface DigestKeyParts {
  readonly prefix?: string;
  readonly organizationId?: string;
  readonly accountId: string;
  readonly region: string;
  readonly trailName: string;
  readonly homeRegion: string;
  readonly end: Date;
  readonly backfill?: boolean;
}

/** Where CloudTrail writes the digest that ends at `end`. */
export function digestKey(parts: DigestKeyParts): string {
  const ymd = parts.end.toISOString().slice(0, 10).replace(/-/g, '/');
  const org = parts.organizationId === undefined ? '' : `${parts.organizationId}/`;
  const name = `${parts.accountId}_CloudTrail-Digest_${parts.region}_${parts.trailName}_${parts.homeRegion}_${keyDateText(parts.end)}${parts.backfill === true ? '_backfill' : ''}.json.gz`;
  const key = `AWSLogs/${org}${parts.accountId}/CloudTrail-Digest/${parts.region}/${ymd}/${name}`;
  return parts.prefix === undefined || parts.prefix === '' ? key : `${parts.prefix}/${key}`;
}

/** The fingerprint we give a key: the MD5 of its PKCS#1 DER, as hex (CloudTrail's is opaque). */
export function fingerprintOf(publicKey: KeyObject): string {
  return createHash('md5')
    .update(publicKey.export({ format: 'der', type: 'pkcs1' }))
    .digest('hex');
}

export interface ListedLogFile {
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the decompressed file. */
  readonly sha256: string;
}

export interface DigestSpec extends DigestKeyParts {
  readonly bucket: string;
  readonly start: Date;
  readonly privateKey: KeyObject;
  readonly fingerprint: string;
  /** The digest before it; null starts a chain. */
  readonly previous: { readonly bucket: string; readonly key: string; readonly signature: string } | null;
  readonly logFiles: readonly ListedLogFile[];
  /** For backfill digests: when CloudTrail generated it. */
  readonly backfillGeneratedAt?: Date;
}

export interface SignedDigest {
  readonly bucket: string;
  readonly key: string;
  /** The gzip object, as stored. */
  readonly body: Buffer;
  readonly metadata: Record<string, string>;
  readonly signature: string;
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function signDigest(spec: DigestSpec): SignedDigest {
  const key = digestKey(spec);
  const fields = {
    awsAccountId: spec.accountId,
    digestStartTime: iso(spec.start),
    digestEndTime: iso(spec.end),
    digestS3Bucket: spec.bucket,
    digestS3Object: key,
    digestPublicKeyFingerprint: spec.fingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: spec.logFiles.length === 0 ? null : iso(spec.end),
    oldestEventTime: spec.logFiles.length === 0 ? null : iso(spec.start),
    previousDigestS3Bucket: spec.previous?.bucket ?? null,
    previousDigestS3Object: spec.previous?.key ?? null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: spec.previous === null ? null : 'SHA-256',
    previousDigestSignature: spec.previous?.signature ?? null,
    logFiles: spec.logFiles.map((file) => ({
      s3Bucket: file.bucket,
      s3Object: file.key,
      hashValue: file.sha256,
      hashAlgorithm: 'SHA-256',
      newestEventTime: iso(spec.end),
      oldestEventTime: iso(spec.start),
    })),
  };
  const inflated = Buffer.from(JSON.stringify(fields));
  const signature = sign(
    'sha256',
    Buffer.from(stringToSign(fields as unknown as Digest, inflated)),
    spec.privateKey,
  ).toString('hex');
  return {
    bucket: spec.bucket,
    key,
    body: gzipSync(inflated),
    metadata: {
      signature,
      'signature-algorithm': 'SHA256withRSA',
      ...(spec.backfillGeneratedAt === undefined
        ? {}
        : { 'backfill-generation-timestamp': iso(spec.backfillGeneratedAt) }),
    },
    signature,
  };
}

/**
 * A key as CloudTrail's API sends it and `aws cloudtrail list-public-keys` prints it: `Value` is
 * the blob, the key's PKCS#1 DER, in base64 (the JS SDK decodes it into the DER bytes).
 */
export function publicKeyListEntry(publicKey: KeyObject, validFrom: Date, validTo: Date) {
  return {
    Fingerprint: fingerprintOf(publicKey),
    Value: publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64'),
    ValidityStartTime: validFrom.getTime() / 1000,
    ValidityEndTime: validTo.getTime() / 1000,
  };
}
