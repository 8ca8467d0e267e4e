/**
 * `trail-index verify`: the digest chains of a trail over a time range, walked as `aws cloudtrail
 * validate-logs` walks them, with the same lines, counts and exit code. It finds the chains itself
 * (every account, region and trail in the bucket, or those asked for), hashes the log files of
 * each valid digest a few at a time, and prints the verdicts in the reference's order.
 */
import type { DigestLogFile } from '../lambdas/shared/digest';
import {
  type ChainOutcome,
  type ChainScope,
  digestRegionPrefix,
  displayDate,
  type DigestStore,
  keyDateText,
  type PublicKeySource,
  traverseDigests,
} from '../lambdas/verifier/digest-traverser';
import {
  type LogFileHasher,
  logFileLine,
  logFileVerdict,
  type LogFileVerdict,
} from '../lambdas/verifier/log-file-check';

export interface VerifyPlan {
  readonly store: DigestStore;
  readonly hasher: LogFileHasher;
  /** CloudTrail's keys for a region. */
  readonly keys: (region: string) => PublicKeySource;
  readonly chains: readonly ChainScope[];
  readonly start: Date;
  readonly end: Date;
  /** How many log files are hashed at once. @default 8 */
  readonly concurrency?: number;
}

export interface VerifyCounts {
  validDigests: number;
  invalidDigests: number;
  validBackfillDigests: number;
  invalidBackfillDigests: number;
  validLogs: number;
  invalidLogs: number;
}

/** One verdict, as `--json` prints it. */
export type VerifyEntry =
  | {
      readonly type: 'digest';
      readonly backfill: boolean;
      readonly bucket: string;
      readonly key: string;
      readonly verdict: 'valid' | 'invalid' | 'missing';
      readonly message?: string;
    }
  | {
      readonly type: 'log';
      readonly bucket: string;
      readonly key: string;
      readonly verdict: LogFileVerdict;
    }
  | { readonly type: 'gap'; readonly backfill: boolean; readonly from: string; readonly to: string };

export interface VerifySink {
  /** A line as the reference writes it; errors go to stderr, the rest only with --verbose. */
  line(text: string, isError: boolean): void;
  entry?(entry: VerifyEntry): void;
  /** A digest's log files were planned (for a progress bar). */
  planned?(logFiles: number): void;
  checked?(logFiles: number): void;
}

export interface VerifyResult {
  readonly counts: VerifyCounts;
  readonly foundStart?: Date;
  readonly foundEnd?: Date;
}

/** Runs `items` through `work` at most `limit` at a time; results in input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function runVerify(plan: VerifyPlan, sink: VerifySink): Promise<VerifyResult> {
  const counts: VerifyCounts = {
    validDigests: 0,
    invalidDigests: 0,
    validBackfillDigests: 0,
    invalidBackfillDigests: 0,
    validLogs: 0,
    invalidLogs: 0,
  };
  let foundStart: Date | undefined;
  let foundEnd: Date | undefined;
  const prefixOf = (backfill: boolean) => (backfill ? '(backfill) ' : '');

  const checkLogs = async (logFiles: readonly DigestLogFile[]) => {
    sink.planned?.(logFiles.length);
    const verdicts = await mapLimited(logFiles, plan.concurrency ?? 8, async (listed) => {
      const verdict = logFileVerdict(listed, await plan.hasher.hash(listed.s3Bucket, listed.s3Object));
      sink.checked?.(1);
      return verdict;
    });
    logFiles.forEach((listed, at) => {
      const verdict = verdicts[at]!;
      if (verdict === 'valid') counts.validLogs += 1;
      else counts.invalidLogs += 1;
      sink.line(logFileLine(listed, verdict), verdict !== 'valid');
      sink.entry?.({ type: 'log', bucket: listed.s3Bucket, key: listed.s3Object, verdict });
    });
  };

  const report = async (outcome: ChainOutcome) => {
    const p = prefixOf(outcome.backfill);
    switch (outcome.kind) {
      case 'valid': {
        const { digest } = outcome;
        const started = maxDate(new Date(digest.digestStartTime), plan.start);
        if (foundStart === undefined || started < foundStart) foundStart = started;
        const ended = minDate(new Date(digest.digestEndTime), plan.end);
        if (foundEnd === undefined || ended > foundEnd) foundEnd = ended;
        if (outcome.backfill) counts.validBackfillDigests += 1;
        else counts.validDigests += 1;
        sink.line(`${p}Digest file\ts3://${digest.digestS3Bucket}/${digest.digestS3Object}\tvalid`, false);
        sink.entry?.({
          type: 'digest',
          backfill: outcome.backfill,
          bucket: digest.digestS3Bucket,
          key: digest.digestS3Object,
          verdict: 'valid',
        });
        await checkLogs(digest.logFiles);
        return;
      }
      case 'invalid':
      case 'missing': {
        if (outcome.backfill) counts.invalidBackfillDigests += 1;
        else counts.invalidDigests += 1;
        const message =
          outcome.kind === 'missing'
            ? `Digest file\ts3://${outcome.bucket}/${outcome.key}\tINVALID: not found`
            : outcome.message;
        sink.line(`${p}${message}`, true);
        sink.entry?.({
          type: 'digest',
          backfill: outcome.backfill,
          bucket: outcome.bucket,
          key: outcome.key,
          verdict: outcome.kind,
          message: message
            .split('\t')
            .slice(2)
            .join('\t')
            .replace(/^INVALID: /, ''),
        });
        return;
      }
      case 'gap':
        sink.line(
          `${p}No log files were delivered by CloudTrail between ${displayDate(outcome.nextEndDate)} and ${displayDate(outcome.lastStartDate)}`,
          true,
        );
        sink.entry?.({
          type: 'gap',
          backfill: outcome.backfill,
          from: displayDate(outcome.nextEndDate),
          to: displayDate(outcome.lastStartDate),
        });
    }
  };

  for (const backfill of [false, true]) {
    for (const scope of plan.chains) {
      for await (const outcome of traverseDigests(
        plan.store,
        plan.keys(scope.sourceRegion),
        scope,
        plan.start,
        plan.end,
        backfill,
      )) {
        await report(outcome);
      }
    }
  }
  return {
    counts,
    ...(foundStart === undefined ? {} : { foundStart }),
    ...(foundEnd === undefined ? {} : { foundEnd }),
  };
}

function maxDate(a: Date, b: Date): Date {
  return a > b ? a : b;
}
function minDate(a: Date, b: Date): Date {
  return a < b ? a : b;
}

/** The reference's status writer: errors on stderr, spaced by blank lines; the rest only verbose. */
export class StatusWriter {
  private lastWasDoubleSpaced = true;
  constructor(
    private readonly out: (text: string) => void,
    private readonly err: (text: string) => void,
    private readonly verbose: boolean,
  ) {}

  line(text: string, isError: boolean): void {
    if (isError) {
      this.err(this.lastWasDoubleSpaced ? `${text}\n\n` : `\n${text}\n\n`);
      this.lastWasDoubleSpaced = true;
    } else if (this.verbose) {
      this.lastWasDoubleSpaced = false;
      this.out(`${text}\n`);
    }
  }

  /** The reference's closing summary. */
  summary(result: VerifyResult, start: Date, end: Date): string {
    const { counts } = result;
    let text = this.lastWasDoubleSpaced ? '' : '\n';
    text += `Results requested for ${displayDate(start)} to ${displayDate(end)}\n`;
    const valid = counts.validDigests + counts.validBackfillDigests;
    const invalid = counts.invalidDigests + counts.invalidBackfillDigests;
    if (valid === 0 && invalid === 0) return `${text}No digests found\n`;
    if (result.foundStart === undefined || result.foundEnd === undefined) {
      text += 'No valid digests found in range\n';
    } else {
      text += `Results found for ${displayDate(result.foundStart)} to ${displayDate(result.foundEnd)}:\n`;
    }
    text += ratio(counts.validDigests, counts.invalidDigests, 'digest');
    text += ratio(counts.validBackfillDigests, counts.invalidBackfillDigests, 'backfill digest');
    text += ratio(counts.validLogs, counts.invalidLogs, 'log');
    return `${text}\n`;
  }
}

function ratio(valid: number, invalid: number, name: string): string {
  const total = valid + invalid;
  if (total === 0) return '';
  return `\n${valid}/${total} ${name} files valid${invalid > 0 ? `, ${invalid}/${total} ${name} files INVALID` : ''}`;
}

/**
 * The chains in a bucket: every account (under `o-…` too) and region with digests, and in each
 * the trails whose digests fall in the range, narrowed to the ones asked for.
 */
export async function discoverChains(
  store: DigestStore,
  where: { bucket: string; prefix?: string },
  range: { start: Date; end: Date },
  only: { accountId?: string; region?: string; trailName?: string; homeRegion?: string } = {},
): Promise<ChainScope[]> {
  const base = where.prefix === undefined || where.prefix === '' ? 'AWSLogs/' : `${where.prefix}/AWSLogs/`;
  const accounts: { accountId: string; organizationId?: string }[] = [];
  for await (const folder of store.listFolders(where.bucket, base)) {
    const name = folder.slice(base.length).replace(/\/$/, '');
    if (/^\d{12}$/.test(name)) accounts.push({ accountId: name });
    else if (/^o-[a-z0-9]{10,32}$/.test(name)) {
      for await (const inner of store.listFolders(where.bucket, folder)) {
        const account = inner.slice(folder.length).replace(/\/$/, '');
        if (/^\d{12}$/.test(account)) accounts.push({ accountId: account, organizationId: name });
      }
    }
  }
  const chains: ChainScope[] = [];
  for (const account of accounts) {
    if (only.accountId !== undefined && account.accountId !== only.accountId) continue;
    const org = account.organizationId === undefined ? '' : `${account.organizationId}/`;
    const regionsAt = `${base}${org}${account.accountId}/CloudTrail-Digest/`;
    for await (const folder of store.listFolders(where.bucket, regionsAt)) {
      const region = folder.slice(regionsAt.length).replace(/\/$/, '');
      if (only.region !== undefined && region !== only.region) continue;
      for (const trail of await trailsIn(store, where, account, region, range)) {
        if (only.trailName !== undefined && trail.trailName !== only.trailName) continue;
        if (only.homeRegion !== undefined && trail.homeRegion !== only.homeRegion) continue;
        chains.push({
          bucket: where.bucket,
          ...(where.prefix === undefined || where.prefix === '' ? {} : { prefix: where.prefix }),
          ...account,
          ...trail,
          sourceRegion: region,
        });
      }
    }
  }
  return chains;
}

/** The trails (name and home region) with digests of the region in the range, from their keys. */
async function trailsIn(
  store: DigestStore,
  where: { bucket: string; prefix?: string },
  account: { accountId: string; organizationId?: string },
  region: string,
  range: { start: Date; end: Date },
): Promise<{ trailName: string; homeRegion: string }[]> {
  // A scope with an empty trail name lists from the start of the range's first day.
  const probe: ChainScope = {
    bucket: where.bucket,
    ...(where.prefix === undefined ? {} : { prefix: where.prefix }),
    ...account,
    trailName: '',
    homeRegion: '',
    sourceRegion: region,
  };
  const found = new Map<string, { trailName: string; homeRegion: string }>();
  const head = `${account.accountId}_CloudTrail-Digest_${region}_`;
  const dayOf = (date: Date) => date.toISOString().slice(0, 10).replace(/-/g, '/');
  const regionPrefix = `${digestRegionPrefix(probe)}/`;
  const last = new Date(range.end.getTime() + 3_600_000);
  const lastDay = dayOf(last);
  for await (const key of store.listKeys(
    where.bucket,
    regionPrefix,
    `${regionPrefix}${dayOf(new Date(range.start.getTime() - 60_000))}/`,
  )) {
    // Keys sort by their day folder: past the range's last day, nothing more can be in it.
    if (key.slice(regionPrefix.length, regionPrefix.length + 10) > lastDay) break;
    const name = key.slice(key.lastIndexOf('/') + 1);
    const m = /^(.+)_([a-z]{2}(?:-[a-z]+)+-\d+)_(\d{8}T\d{6}Z)(?:_backfill)?\.json\.gz$/.exec(
      name.startsWith(head) ? name.slice(head.length) : '',
    );
    if (m === null) continue;
    const [, trailName, homeRegion, when] = m as unknown as [string, string, string, string];
    if (when > keyDateText(last)) continue;
    found.set(`${trailName}\u0000${homeRegion}`, { trailName, homeRegion });
  }
  return [...found.values()];
}
