/**
 * Continuous verification: each run finds the digests CloudTrail delivered since the last run, in
 * every account and region of the bucket, and checks each as `validate-logs` does (format,
 * location, public key, signature), its link to the digest before it, and every log file it
 * lists, against the hash the indexer recorded while indexing the file (the file is read again
 * only when no hash was recorded). It records the verdicts in the index, raises each alert once,
 * and notices chains that restart and digests that stop coming while log files still arrive.
 */
import { type Digest, DigestInvalidError, digestKeyDate, type DigestLogFile } from '../shared/digest';
import type { AlertMessage } from '../shared/alert-message';
import type { AlertPublisher } from '../indexer/alert-publisher';
import { digestRegions, parseDigestName, type AccountPath } from './discover';
import {
  checkDigest,
  digestRegionPrefix,
  type DigestStore,
  keyDateText,
  type PublicKeyEntry,
  type PublicKeySource,
} from './digest-traverser';
import { integrityAlert, type IntegrityAlertKind } from './integrity-alerts';
import type { ChainPosition, IntegrityStore, RegionChains } from './integrity-store';
import {
  LOG_FILE_VERDICT_TEXT,
  type LogFileHasher,
  logFileVerdict,
  type LogFileVerdict,
} from './log-file-check';
import { mapLimited } from '../shared/map-limited';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Digests cover an hour each and CloudTrail delivers them within minutes of its end; a chain whose
 * newest digest ended more than this long ago, while log files keep arriving, is overdue.
 */
export const DIGEST_OVERDUE_AFTER_MS = 2 * HOUR;
/** How far back, from the newest digest, an overdue chain looks for log files delivered since. */
const OVERDUE_LOOKBACK_DAYS = 7;

export interface SweepDeps {
  readonly store: DigestStore;
  readonly hasher: LogFileHasher;
  /** CloudTrail's public keys of a region. */
  readonly keys: (region: string) => PublicKeySource;
  readonly state: IntegrityStore;
  readonly alerts: AlertPublisher;
}

export interface SweepConfig {
  readonly bucket: string;
  /** The trail's key prefix, without slashes; empty for none. */
  readonly prefix: string;
  /** Where a chain never seen before starts: digests ending before this are not checked. */
  readonly firstRunStart: Date;
  readonly now: Date;
  /** Epoch ms after which no new digest is started (the next run goes on from there). */
  readonly deadline?: number;
  /** Log files checked at once. @default 8 */
  readonly concurrency?: number;
  /** Publish alerts. @default true */
  readonly alerts?: boolean;
}

export interface SweepReport {
  digestsVerified: number;
  digestsInvalid: number;
  digestsMissing: number;
  logFilesVerified: number;
  logFilesInvalid: number;
  logFilesMissing: number;
  /** Log files whose hash had to be computed by reading them (the indexer had none). */
  logFilesRead: number;
  chainGaps: number;
  digestsOverdue: number;
  alertsPublished: number;
  /** Whether the deadline stopped the run before every new digest was checked. */
  incomplete: boolean;
  /** What was found, for logs and local mode. */
  findings: { kind: IntegrityAlertKind; object: string; detail: string }[];
}

function emptyReport(): SweepReport {
  return {
    digestsVerified: 0,
    digestsInvalid: 0,
    digestsMissing: 0,
    logFilesVerified: 0,
    logFilesInvalid: 0,
    logFilesMissing: 0,
    logFilesRead: 0,
    chainGaps: 0,
    digestsOverdue: 0,
    alertsPublished: 0,
    incomplete: false,
    findings: [],
  };
}

const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;
const dayFolder = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '/');

export async function sweep(deps: SweepDeps, config: SweepConfig): Promise<SweepReport> {
  const report = emptyReport();
  const where = { bucket: config.bucket, ...(config.prefix === '' ? {} : { prefix: config.prefix }) };
  const raise = async (kind: IntegrityAlertKind, facts: Parameters<typeof integrityAlert>[1]) => {
    report.findings.push({ kind, object: facts.object, detail: facts.detail });
    if (config.alerts === false) return;
    const alert: AlertMessage = integrityAlert(kind, facts);
    if ((await deps.alerts.publish(alert)) === 'published') report.alertsPublished += 1;
  };

  for (const { account, region } of await digestRegions(deps.store, where)) {
    const chains = await deps.state.getChains(config.bucket, config.prefix, account.accountId, region);
    const keySource = cachedKeys(deps.keys(region));
    const stopped = await sweepRegion(deps, config, account, region, chains, keySource, report, raise);
    await checkOverdue(deps, config, account, region, chains, raise, report);
    await deps.state.putChains(config.bucket, config.prefix, account.accountId, region, chains);
    if (stopped) {
      report.incomplete = true;
      break;
    }
  }
  return report;
}

/** ListPublicKeys once per range asked, keys kept for the run. */
function cachedKeys(source: PublicKeySource) {
  const known = new Map<string, PublicKeyEntry['value']>();
  return async (digest: Digest): Promise<PublicKeyEntry['value'] | undefined> => {
    const fingerprint = digest.digestPublicKeyFingerprint;
    if (!known.has(fingerprint)) {
      // The reference's margins: the digest's hour and two more (its keys are loaded for the range
      // plus two hours); for a backfill digest, an hour either side of when it was generated.
      const generated =
        digest.backfillGenerationTimestamp === undefined
          ? undefined
          : new Date(digest.backfillGenerationTimestamp);
      const start = generated ?? new Date(digest.digestStartTime);
      const end = generated ?? new Date(digest.digestEndTime);
      const margin = generated === undefined ? 2 * HOUR : HOUR;
      for (const entry of await source.inRange(
        new Date(start.getTime() - (generated === undefined ? 0 : HOUR)),
        new Date(end.getTime() + margin),
      )) {
        known.set(entry.fingerprint, entry.value);
      }
    }
    return known.get(fingerprint);
  };
}

type Raise = (kind: IntegrityAlertKind, facts: Parameters<typeof integrityAlert>[1]) => Promise<void>;

/** Checks the region's new digests, oldest first per chain; true when the deadline stopped it. */
async function sweepRegion(
  deps: SweepDeps,
  config: SweepConfig,
  account: AccountPath,
  region: string,
  chains: RegionChains,
  publicKeyFor: (digest: Digest) => Promise<PublicKeyEntry['value'] | undefined>,
  report: SweepReport,
  raise: Raise,
): Promise<boolean> {
  const scope = {
    bucket: config.bucket,
    prefix: config.prefix,
    ...account,
    trailName: '',
    homeRegion: '',
    sourceRegion: region,
  };
  const regionPrefix = `${digestRegionPrefix(scope)}/`;
  // Keys sort by day folder, then by trail, then by time: list from the day of the oldest place a
  // chain is at, and skip what each chain has seen.
  const positions = Object.values(chains);
  const from =
    positions.length === 0
      ? config.firstRunStart
      : new Date(Math.min(...positions.map((p) => new Date(p.lastEndTime).getTime())));
  const pending = new Map<string, { key: string; time: string }[]>();
  for await (const key of deps.store.listKeys(
    config.bucket,
    regionPrefix,
    `${regionPrefix}${dayFolder(from)}/`,
  )) {
    const parsed = parseDigestName(key, account.accountId, region);
    if (parsed === undefined) continue;
    const chainId = `${parsed.trailName}_${parsed.homeRegion}${parsed.backfill ? '_backfill' : ''}`;
    const position = chains[chainId];
    const seenUpTo = position === undefined ? keyDateText(config.firstRunStart) : keyTime(position.lastKey);
    if (parsed.time < seenUpTo || key === position?.lastKey) continue;
    if (position !== undefined && parsed.time === seenUpTo && key <= position.lastKey) continue;
    const list = pending.get(chainId) ?? [];
    list.push({ key, time: parsed.time });
    pending.set(chainId, list);
  }

  for (const [chainId, digests] of pending) {
    digests.sort((a, b) => (a.time === b.time ? (a.key < b.key ? -1 : 1) : a.time < b.time ? -1 : 1));
    for (const { key } of digests) {
      if (config.deadline !== undefined && Date.now() > config.deadline) return true;
      const position = await checkOne(
        deps,
        config,
        account,
        region,
        key,
        chains[chainId],
        publicKeyFor,
        report,
        raise,
      );
      if (position !== undefined) chains[chainId] = position;
    }
  }
  return false;
}

function keyTime(key: string): string {
  const date = digestKeyDate(key);
  return date === undefined ? '' : keyDateText(date);
}

/** One digest: its verdict, its link, its log files. Returns the chain's new position. */
async function checkOne(
  deps: SweepDeps,
  config: SweepConfig,
  account: AccountPath,
  region: string,
  key: string,
  position: ChainPosition | undefined,
  publicKeyFor: (digest: Digest) => Promise<PublicKeyEntry['value'] | undefined>,
  report: SweepReport,
  raise: Raise,
): Promise<ChainPosition | undefined> {
  const { bucket } = config;
  const object = s3Uri(bucket, key);
  const facts = { accountId: account.accountId, region };
  const stored = await deps.store.getObject(bucket, key);
  if (stored === undefined) return position; // Deleted between the listing and now: the next digest's link tells.
  let digest: Digest;
  try {
    digest = await checkDigest(stored, { bucket, key }, region, publicKeyFor);
  } catch (err) {
    if (!(err instanceof DigestInvalidError)) throw err;
    const detail = err.message
      .split('\t')
      .slice(2)
      .join(' ')
      .replace(/^INVALID: /, '');
    report.digestsInvalid += 1;
    await deps.state.putDigest({ bucket, key }, { state: 'invalid', reason: detail, ...facts });
    await raise('digest-invalid', { ...facts, object, detail });
    const keyDate = digestKeyDate(key);
    return { lastKey: key, lastEndTime: (keyDate ?? config.now).toISOString() };
  }

  // The link back: a chain that restarts is a gap; a previous digest that is gone was deleted.
  if (
    digest.previousDigestSignature === null ||
    digest.previousDigestS3Object === null ||
    digest.previousDigestS3Object === undefined
  ) {
    if (position !== undefined) {
      report.chainGaps += 1;
      await raise('chain-gap', {
        ...facts,
        object,
        detail: `no digest covers ${position.lastEndTime} to ${digest.digestStartTime}: the chain restarted here`,
      });
    }
  } else {
    const previousBucket = digest.previousDigestS3Bucket ?? bucket;
    const previousKey = digest.previousDigestS3Object;
    if (position !== undefined && previousKey !== position.lastKey) {
      if ((await deps.store.getObject(previousBucket, previousKey)) === undefined) {
        report.digestsMissing += 1;
        await deps.state.putDigest(
          { bucket: previousBucket, key: previousKey },
          { state: 'missing', ...facts },
        );
        await raise('digest-missing', {
          ...facts,
          object: s3Uri(previousBucket, previousKey),
          detail: 'not found',
          digest: object,
        });
      }
    } else if (
      position?.lastSignature !== undefined &&
      position.lastSignature.toLowerCase() !== digest.previousDigestSignature.toLowerCase()
    ) {
      report.digestsInvalid += 1;
      await deps.state.putDigest(
        { bucket, key },
        { state: 'invalid', reason: 'broken chain link', ...facts },
      );
      await raise('digest-invalid', {
        ...facts,
        object,
        detail: `the previous digest's signature is not the one this digest signed (s3://${previousBucket}/${previousKey})`,
      });
      return { lastKey: key, lastEndTime: digest.digestEndTime };
    }
  }

  const verdicts = await mapLimited(digest.logFiles, config.concurrency ?? 8, (listed) =>
    checkLogFile(deps, listed, key, report),
  );
  for (const [at, verdict] of verdicts.entries()) {
    const listed = digest.logFiles[at]!;
    const file = { ...facts, object: s3Uri(listed.s3Bucket, listed.s3Object), digest: object };
    if (verdict === 'valid') report.logFilesVerified += 1;
    else if (verdict === 'missing') {
      report.logFilesMissing += 1;
      await raise('log-file-missing', { ...file, detail: 'not found' });
    } else {
      report.logFilesInvalid += 1;
      await raise('log-file-invalid', { ...file, detail: LOG_FILE_VERDICT_TEXT[verdict] });
    }
  }
  report.digestsVerified += 1;
  await deps.state.putDigest({ bucket, key }, { state: 'valid', ...facts, logFiles: digest.logFiles.length });
  return { lastKey: key, lastEndTime: digest.digestEndTime, lastSignature: digest.signature };
}

/** A listed log file's verdict, from the indexer's hash when it has one, and recorded. */
async function checkLogFile(
  deps: SweepDeps,
  listed: DigestLogFile,
  digestKey: string,
  report: SweepReport,
): Promise<LogFileVerdict> {
  const known = await deps.state.getLogFile(listed.s3Bucket, listed.s3Object);
  let verdict: LogFileVerdict;
  let sha256 = known?.sha256;
  if (sha256 !== undefined) {
    verdict = logFileVerdict(listed, { ok: true, sha256, decompressedBytes: 0 });
  } else {
    report.logFilesRead += 1;
    const hash = await deps.hasher.hash(listed.s3Bucket, listed.s3Object);
    verdict = logFileVerdict(listed, hash);
    if (hash?.ok === true) sha256 = hash.sha256;
  }
  await deps.state.setLogFileVerdict(
    { bucket: listed.s3Bucket, key: listed.s3Object },
    {
      integrity: verdict === 'valid' ? 'verified' : verdict === 'missing' ? 'missing' : 'invalid',
      ...(verdict === 'valid' ? {} : { reason: LOG_FILE_VERDICT_TEXT[verdict] }),
      expectedSha256: listed.hashValue,
      digestKey,
      ...(sha256 === undefined ? {} : { sha256 }),
    },
  );
  return verdict;
}

/**
 * A chain whose newest digest ended over {@link DIGEST_OVERDUE_AFTER_MS} ago while log files of the
 * account and region were delivered after it: once per chain position.
 */
async function checkOverdue(
  deps: SweepDeps,
  config: SweepConfig,
  account: AccountPath,
  region: string,
  chains: RegionChains,
  raise: Raise,
  report: SweepReport,
): Promise<void> {
  for (const [chainId, position] of Object.entries(chains)) {
    if (chainId.endsWith('_backfill') || position.overdueAlerted === true) continue;
    const ended = new Date(position.lastEndTime);
    if (config.now.getTime() - ended.getTime() <= DIGEST_OVERDUE_AFTER_MS) continue;
    const delivered = await logFileAfter(deps.store, config, account, region, ended);
    if (delivered === undefined) continue;
    report.digestsOverdue += 1;
    await raise('digest-overdue', {
      accountId: account.accountId,
      region,
      object: `${s3Uri(config.bucket, position.lastKey)}#overdue`,
      detail: `the newest digest of chain ${chainId} ended at ${position.lastEndTime}; log file ${delivered} was delivered after it`,
    });
    chains[chainId] = { ...position, overdueAlerted: true };
  }
}

/** The first log file of the account and region delivered after `after`, if any (a few listings). */
async function logFileAfter(
  store: DigestStore,
  config: SweepConfig,
  account: AccountPath,
  region: string,
  after: Date,
): Promise<string | undefined> {
  const org = account.organizationId === undefined ? '' : `${account.organizationId}/`;
  const base = `${config.prefix === '' ? '' : `${config.prefix}/`}AWSLogs/${org}${account.accountId}/CloudTrail/${region}/`;
  const stamp = keyDateText(after).slice(0, 13); // YYYYMMDDTHHMM, as log file names have it
  const days = Math.min(OVERDUE_LOOKBACK_DAYS, Math.ceil((config.now.getTime() - after.getTime()) / DAY) + 1);
  for (let day = 0; day < days; day++) {
    const folder = `${base}${dayFolder(new Date(after.getTime() + day * DAY))}/`;
    const startAfter = day === 0 ? `${folder}${account.accountId}_CloudTrail_${region}_${stamp}Z~` : folder;
    for await (const key of store.listKeys(config.bucket, folder, startAfter))
      return s3Uri(config.bucket, key);
  }
  return undefined;
}
