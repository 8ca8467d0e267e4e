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
  displayDate,
  type DigestStore,
  type PublicKeySource,
  traverseDigests,
} from '../lambdas/verifier/digest-traverser';
export { discoverChains } from '../lambdas/verifier/discover';
import {
  type LogFileHasher,
  logFileLine,
  logFileVerdict,
  type LogFileVerdict,
} from '../lambdas/verifier/log-file-check';
import { mapLimited } from '../lambdas/shared/map-limited';

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
