/**
 * What a distributed backfill reads: the narrowest prefix that holds the range, and whether a key is
 * in the range. Pure. A log file's key carries its delivery day (`…/CloudTrail/<region>/YYYY/MM/DD/`);
 * records may be a little older than their file, so ranges are whole days of delivery, as the
 * single-machine backfill reads them.
 */

export interface BackfillRange {
  readonly since: Date;
  readonly until: Date;
}

export interface PrefixScope {
  /** `[prefix/]AWSLogs/`, where the trail's files are. */
  readonly logsRoot: string;
  /** Only this account (its folder, under an organization id if given). */
  readonly account?: string;
  readonly organizationId?: string;
  /** Only this region (with an account). */
  readonly region?: string;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The longest prefix under which every log file of the range is: the logs root, then the account
 * and region if given, then the year, month and day the range shares.
 */
export function listingPrefix(scope: PrefixScope, range: BackfillRange): string {
  let prefix = scope.logsRoot;
  if (scope.account === undefined) return prefix;
  prefix += `${scope.organizationId === undefined ? '' : `${scope.organizationId}/`}${scope.account}/CloudTrail/`;
  if (scope.region === undefined) return prefix;
  prefix += `${scope.region}/`;
  const [a, b] = [day(range.since).split('-'), day(range.until).split('-')];
  for (let part = 0; part < 3 && a[part] === b[part]; part++) prefix += `${a[part]}/`;
  return prefix;
}

/** The delivery day of a log file's key (`YYYY-MM-DD`), or undefined for any other key. */
export function deliveryDay(key: string): string | undefined {
  const match =
    /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?\d{12}\/CloudTrail\/[a-z0-9-]+\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+\.json(?:\.gz)?$/.exec(
      key,
    );
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}`;
}

/** Whether a key is a log file delivered on a day of the range (both ends included). */
export function inRange(key: string, range: BackfillRange): boolean {
  const delivered = deliveryDay(key);
  return delivered !== undefined && delivered >= day(range.since) && delivered <= day(range.until);
}
