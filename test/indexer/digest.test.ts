/**
 * The digest core against digests signed here exactly as CloudTrail signs them: an RSA key pair of
 * our own, SHA256withRSA (PKCS#1 v1.5) over the string to sign, the hex signature in metadata.
 */
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import {
  chainLinkProblem,
  digestKeyDate,
  DigestInvalidError,
  isBackfillDigestKey,
  logFileHashMatches,
  readDigest,
  startsNewChain,
  stringToSign,
  verifyDigestSignature,
  type Digest,
} from '../../lambdas/shared/digest';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
/** As ListPublicKeys serves it: PKCS#1 DER, here as bytes and as base64 text. */
const pkcs1 = publicKey.export({ format: 'der', type: 'pkcs1' });
const spki = publicKey.export({ format: 'der', type: 'spki' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
  format: 'der',
  type: 'pkcs1',
});

const BUCKET = 'trail-bucket';
const key = (hour: number) =>
  `AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/12/01/111122223333_CloudTrail-Digest_us-east-1_trail-index_us-east-1_20261201T${String(hour).padStart(2, '0')}0000Z.json.gz`;

/** A signed digest for an hour, chained to `previous` (or starting a chain). */
function signedDigest(hour: number, previous?: { key: string; signature: string }) {
  const fields = {
    awsAccountId: '111122223333',
    digestStartTime: `2026-12-01T${String(hour - 1).padStart(2, '0')}:00:00Z`,
    digestEndTime: `2026-12-01T${String(hour).padStart(2, '0')}:00:00Z`,
    digestS3Bucket: BUCKET,
    digestS3Object: key(hour),
    digestPublicKeyFingerprint: 'abc123',
    digestSignatureAlgorithm: 'SHA256withRSA',
    previousDigestS3Bucket: previous === undefined ? null : BUCKET,
    previousDigestS3Object: previous?.key ?? null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: null,
    previousDigestSignature: previous?.signature ?? null,
    logFiles: [
      {
        s3Bucket: BUCKET,
        s3Object: 'AWSLogs/x.json.gz',
        hashValue: 'AB'.repeat(32),
        hashAlgorithm: 'SHA-256',
      },
    ],
  };
  const inflated = Buffer.from(JSON.stringify(fields));
  const unsigned = readDigest(
    inflated,
    { signature: '00', 'signature-algorithm': 'SHA256withRSA' },
    { bucket: BUCKET, key: key(hour) },
  );
  const signature = sign('sha256', Buffer.from(stringToSign(unsigned, inflated)), privateKey).toString('hex');
  const metadata = { signature, 'signature-algorithm': 'SHA256withRSA' };
  return { inflated, metadata, digest: readDigest(inflated, metadata, { bucket: BUCKET, key: key(hour) }) };
}

function reasonOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (err) {
    if (err instanceof DigestInvalidError) return err.reason;
    throw err;
  }
  return undefined;
}

describe('the string to sign', () => {
  test('is end time, bucket/key, the hex SHA-256 of the exact bytes and the previous signature or null', () => {
    // Prepare
    const { inflated, digest } = signedDigest(3);

    // Act
    const lines = stringToSign(digest, inflated).split('\n');

    // Assess
    expect(lines).toEqual([
      '2026-12-01T03:00:00Z',
      `${BUCKET}/${key(3)}`,
      expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      'null',
    ]);
  });
});

describe('verifyDigestSignature', () => {
  test.each<[string, Uint8Array | string]>([
    ['PKCS#1 DER bytes', pkcs1],
    ['PKCS#1 DER as base64', pkcs1.toString('base64')],
    ['SPKI DER bytes', spki],
    [
      'base64 text as bytes (how the JS SDK hands over the Value blob)',
      Buffer.from(pkcs1.toString('base64')),
    ],
  ])('accepts a valid digest with the key as %s', (_name, value) => {
    const { inflated, digest } = signedDigest(3);
    expect(reasonOf(() => verifyDigestSignature(digest, inflated, value))).toBeUndefined();
  });

  test('refuses a digest whose content was edited, a changed signature, and another key', () => {
    // Prepare
    const { inflated, digest } = signedDigest(3);
    const edited = Buffer.from(inflated.toString().replace('AWSLogs/x.json.gz', 'AWSLogs/y.json.gz'));
    const flipped = { ...digest, signature: `${digest.signature.slice(0, -2)}00` };

    // Act / Assess
    expect(reasonOf(() => verifyDigestSignature(digest, edited, pkcs1))).toBe('invalid-signature');
    expect(reasonOf(() => verifyDigestSignature(flipped, inflated, pkcs1))).toBe('invalid-signature');
    expect(reasonOf(() => verifyDigestSignature({ ...digest, signature: 'not hex' }, inflated, pkcs1))).toBe(
      'invalid-signature',
    );
    expect(reasonOf(() => verifyDigestSignature(digest, inflated, other))).toBe('invalid-signature');
    expect(reasonOf(() => verifyDigestSignature(digest, inflated, Buffer.from('not a key')))).toBe(
      'bad-public-key',
    );
  });

  test('the SPKI and PKCS#1 forms are the same key', () => {
    expect(
      createPublicKey({ key: spki, format: 'der', type: 'spki' }).export({ format: 'der', type: 'pkcs1' }),
    ).toEqual(pkcs1);
  });
});

describe('readDigest', () => {
  const { inflated, metadata } = signedDigest(3);

  test.each<[string, () => unknown, string]>([
    [
      'not JSON',
      () => readDigest(Buffer.from('nope'), metadata, { bucket: BUCKET, key: key(3) }),
      'invalid-format',
    ],
    [
      'a required field missing',
      () =>
        readDigest(Buffer.from(inflated.toString().replace('"digestStartTime"', '"x"')), metadata, {
          bucket: BUCKET,
          key: key(3),
        }),
      'invalid-format',
    ],
    [
      'no signature metadata',
      () => readDigest(inflated, {}, { bucket: BUCKET, key: key(3) }),
      'invalid-signature',
    ],
    ['moved to another key', () => readDigest(inflated, metadata, { bucket: BUCKET, key: key(4) }), 'moved'],
    [
      'copied to another bucket',
      () => readDigest(inflated, metadata, { bucket: 'other', key: key(3) }),
      'moved',
    ],
    [
      'a backfill digest without its timestamp',
      () =>
        readDigest(inflated, metadata, {
          bucket: BUCKET,
          key: key(3).replace('.json.gz', '_backfill.json.gz'),
        }),
      'invalid-format',
    ],
  ])('refuses %s', (_name, action, reason) => {
    expect(reasonOf(action)).toBe(reason);
  });
});

describe('digest keys', () => {
  test('tell backfill digests and their time as the reference does', () => {
    // Prepare
    const regular = key(3);
    const backfill = regular.replace('.json.gz', '_backfill.json.gz');

    // Act / Assess
    expect(isBackfillDigestKey(regular)).toBe(false);
    expect(isBackfillDigestKey(backfill)).toBe(true);
    expect(isBackfillDigestKey(regular.replace('trail-index', 'my_backfill_trail'))).toBe(false);
    expect(digestKeyDate(regular)?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(digestKeyDate(backfill)?.toISOString()).toBe('2026-12-01T03:00:00.000Z');
    expect(digestKeyDate('AWSLogs/x.json.gz')).toBeUndefined();
  });
});

describe('the chain', () => {
  test('links when the newer digest names the older one and its signature; a restart is a gap', () => {
    // Prepare
    const first = signedDigest(1);
    const second = signedDigest(2, { key: key(1), signature: first.digest.signature });
    const forged: Digest = { ...second.digest, previousDigestSignature: 'ab'.repeat(256) };
    const elsewhere: Digest = { ...second.digest, previousDigestS3Object: key(0) };
    const restart = signedDigest(3);

    // Act / Assess
    expect(chainLinkProblem(second.digest, first.digest)).toBeUndefined();
    expect(chainLinkProblem(forged, first.digest)).toMatch(/signature does not match/);
    expect(chainLinkProblem(elsewhere, first.digest)).toMatch(/as its previous digest/);
    expect(startsNewChain(restart.digest)).toBe(true);
    expect(startsNewChain(second.digest)).toBe(false);
    expect(reasonOf(() => verifyDigestSignature(second.digest, second.inflated, pkcs1))).toBeUndefined();
  });

  test('a log file matches its listed hash, in either case of hex', () => {
    const listed = { s3Bucket: BUCKET, s3Object: 'k', hashValue: 'AB'.repeat(32) };
    expect(logFileHashMatches(listed, 'ab'.repeat(32))).toBe(true);
    expect(logFileHashMatches(listed, 'ac'.repeat(32))).toBe(false);
  });
});
