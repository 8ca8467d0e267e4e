/**
 * Buckets of log files and digests signed as CloudTrail signs them, one per verdict the verifier
 * must reach: a valid chain and each way of breaking it. Written to a folder, to S3 (fauxqs), or
 * both; the public keys come as `aws cloudtrail list-public-keys` prints them.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fingerprintOf, publicKeyListEntry, signDigest, type SignedDigest } from '../../cli/digest-signer';
import { METADATA_SUFFIX } from '../../cli/folder-store';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const TRAIL = 'audit-trail';
export const TRAIL_ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNT}:trail/${TRAIL}`;
/** The range every scenario is verified over. */
export const START = new Date('2026-11-30T00:00:00Z');
export const END = new Date('2026-11-30T06:00:00Z');

export interface StoredFile {
  readonly key: string;
  readonly body: Buffer;
  readonly metadata?: Record<string, string>;
}

export interface Scenario {
  readonly name: string;
  readonly bucket: string;
  readonly files: StoredFile[];
  /** `aws cloudtrail list-public-keys` output. */
  readonly publicKeys: { PublicKeyList: ReturnType<typeof publicKeyListEntry>[] };
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

function logFile(hour: number, n: number): { key: string; body: Buffer; sha256: string } {
  const records = {
    Records: [
      {
        eventVersion: '1.11',
        eventID: `e-${hour}-${n}`,
        eventSource: 'glacier.amazonaws.com',
        eventName: 'ListVaults',
      },
    ],
  };
  const json = Buffer.from(JSON.stringify(records));
  const stamp = `20261130T0${hour - 1}${String(n * 5).padStart(2, '0')}Z`;
  return {
    key: `AWSLogs/${ACCOUNT}/CloudTrail/${REGION}/2026/11/30/${ACCOUNT}_CloudTrail_${REGION}_${stamp}_Ab${hour}${n}.json.gz`,
    body: gzipSync(json),
    sha256: createHash('sha256').update(json).digest('hex'),
  };
}

type Mutation =
  | 'valid'
  | 'modified-log'
  | 'deleted-log'
  | 'deleted-digest'
  | 'altered-signature'
  | 'moved-digest'
  | 'appended-data'
  | 'logging-gap'
  | 'unknown-key'
  | 'empty-hour'
  | 'backfill';

export const SCENARIOS: readonly Mutation[] = [
  'valid',
  'modified-log',
  'deleted-log',
  'deleted-digest',
  'altered-signature',
  'moved-digest',
  'appended-data',
  'logging-gap',
  'unknown-key',
  'empty-hour',
  'backfill',
];

/**
 * Four hourly digests (01:00 to 04:00) with two log files each, then the mutation. A gap has no
 * digest at 03:00 and the 04:00 one starts a new chain; an empty hour's 03:00 digest lists nothing.
 */
export function buildScenario(name: Mutation, bucket = `verify-${name}`): Scenario {
  const files: StoredFile[] = [];
  const digests: SignedDigest[] = [];
  let previous: { bucket: string; key: string; signature: string } | null = null;
  for (let hour = 1; hour <= 4; hour++) {
    if (name === 'logging-gap' && hour === 3) {
      previous = null;
      continue;
    }
    const logs = name === 'empty-hour' && hour === 3 ? [] : [logFile(hour, 1), logFile(hour, 2)];
    for (const log of logs) files.push({ key: log.key, body: log.body });
    const signer: KeyObject = name === 'unknown-key' && hour === 2 ? stranger.privateKey : privateKey;
    const digest = signDigest({
      bucket,
      accountId: ACCOUNT,
      region: REGION,
      trailName: TRAIL,
      homeRegion: REGION,
      start: new Date(Date.UTC(2026, 10, 30, hour - 1, 0, 12)),
      end: new Date(Date.UTC(2026, 10, 30, hour, 0, 12)),
      privateKey: signer,
      fingerprint: fingerprintOf(signer === privateKey ? publicKey : stranger.publicKey),
      previous,
      logFiles: logs.map((log) => ({ bucket, key: log.key, sha256: log.sha256 })),
    });
    digests.push(digest);
    previous = { bucket, key: digest.key, signature: digest.signature };
  }
  if (name === 'backfill') {
    // A log file CloudTrail delivered late, listed by a backfill digest of its own chain.
    const late = logFile(2, 3);
    files.push({ key: late.key, body: late.body });
    digests.push(
      signDigest({
        bucket,
        accountId: ACCOUNT,
        region: REGION,
        trailName: TRAIL,
        homeRegion: REGION,
        start: new Date(Date.UTC(2026, 10, 30, 1, 0, 12)),
        end: new Date(Date.UTC(2026, 10, 30, 2, 0, 12)),
        backfill: true,
        backfillGeneratedAt: new Date(Date.UTC(2026, 10, 30, 5, 0, 0)),
        privateKey,
        fingerprint: fingerprintOf(publicKey),
        previous: null,
        logFiles: [{ bucket, key: late.key, sha256: late.sha256 }],
      }),
    );
  }
  for (const d of digests) files.push({ key: d.key, body: d.body, metadata: d.metadata });

  const at = (pattern: RegExp) => files.findIndex((f) => pattern.test(f.key));
  const digestAt = (hour: number) => at(new RegExp(`CloudTrail-Digest_.*T0${hour}0012Z\\.json\\.gz$`));
  const logAt = (hour: number, n: number) => at(new RegExp(`_CloudTrail_.*_Ab${hour}${n}\\.json\\.gz$`));
  switch (name) {
    case 'modified-log': {
      const i = logAt(2, 1);
      files[i] = { key: files[i]!.key, body: gzipSync(Buffer.from('{"Records":[]}')) };
      break;
    }
    case 'deleted-log':
      files.splice(logAt(3, 2), 1);
      break;
    case 'deleted-digest':
      files.splice(digestAt(2), 1);
      break;
    case 'altered-signature': {
      const i = digestAt(3);
      const signature = files[i]!.metadata!.signature!;
      const flipped = `${signature.slice(0, 10)}${signature[10] === 'a' ? 'b' : 'a'}${signature.slice(11)}`;
      files[i] = { ...files[i]!, metadata: { ...files[i]!.metadata!, signature: flipped } };
      break;
    }
    case 'moved-digest': {
      // The newest digest, under a later key: the walk reads it first, and finds it moved.
      const i = digestAt(4);
      files[i] = { ...files[i]!, key: files[i]!.key.replace('T040012Z', 'T043012Z') };
      break;
    }
    case 'appended-data': {
      const i = logAt(1, 2);
      files[i] = { key: files[i]!.key, body: Buffer.concat([files[i]!.body, Buffer.from('appended')]) };
      break;
    }
    default:
      break;
  }
  const now = new Date('2026-12-02T00:00:00Z');
  return {
    name,
    bucket,
    files,
    publicKeys: { PublicKeyList: [publicKeyListEntry(publicKey, new Date('2026-01-01T00:00:00Z'), now)] },
  };
}

/** Writes the scenario as a folder laid out by keys, with the digests' metadata beside them. */
export function writeScenarioFolder(scenario: Scenario, root: string): void {
  for (const file of scenario.files) {
    const path = join(root, ...file.key.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.body);
    if (file.metadata !== undefined)
      writeFileSync(`${path}${METADATA_SUFFIX}`, JSON.stringify(file.metadata));
  }
  writeFileSync(join(root, 'public-keys.json'), JSON.stringify(scenario.publicKeys));
}

export async function putScenario(s3: S3Client, scenario: Scenario): Promise<void> {
  for (const file of scenario.files) {
    await s3.send(
      new PutObjectCommand({
        Bucket: scenario.bucket,
        Key: file.key,
        Body: file.body,
        ...(file.metadata === undefined ? {} : { Metadata: file.metadata }),
      }),
    );
  }
}
