/**
 * Where digests are: the accounts (under `o-…` too) and regions with a `CloudTrail-Digest/` folder
 * in a bucket, and the trails whose digests fall in a time range. Listing folders only (S3's
 * delimiter), so it costs a few requests, not a listing of every object.
 */
import { type ChainScope, digestRegionPrefix, type DigestStore, keyDateText } from './digest-traverser';

/** An AWS region's name: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-isoe-west-1`. */
export const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

export interface AccountPath {
  readonly accountId: string;
  readonly organizationId?: string;
}

/** Every account and region with digests, narrowed to the ones asked for. */
export async function digestRegions(
  store: DigestStore,
  where: { bucket: string; prefix?: string },
  only: { accountId?: string; region?: string } = {},
): Promise<{ account: AccountPath; region: string }[]> {
  const base = where.prefix === undefined || where.prefix === '' ? 'AWSLogs/' : `${where.prefix}/AWSLogs/`;
  const accounts: AccountPath[] = [];
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
  const found: { account: AccountPath; region: string }[] = [];
  for (const account of accounts) {
    if (only.accountId !== undefined && account.accountId !== only.accountId) continue;
    const org = account.organizationId === undefined ? '' : `${account.organizationId}/`;
    const regionsAt = `${base}${org}${account.accountId}/CloudTrail-Digest/`;
    for await (const folder of store.listFolders(where.bucket, regionsAt)) {
      const region = folder.slice(regionsAt.length).replace(/\/$/, '');
      // Folder names are whatever someone with write access put there: only a region's name is
      // taken (an SDK client is made for it).
      if (!REGION_NAME.test(region)) continue;
      if (only.region !== undefined && region !== only.region) continue;
      found.push({ account, region });
    }
  }
  return found;
}

/** What a digest key says: its trail, home region, time and whether it is a backfill digest. */
export function parseDigestName(
  key: string,
  accountId: string,
  region: string,
): { trailName: string; homeRegion: string; time: string; backfill: boolean } | undefined {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const head = `${accountId}_CloudTrail-Digest_${region}_`;
  const m = /^(.+)_([a-z]{2}(?:-[a-z]+)+-\d+)_(\d{8}T\d{6}Z)(_backfill)?\.json\.gz$/s.exec(
    name.startsWith(head) ? name.slice(head.length) : '',
  );
  if (m === null) return undefined;
  return { trailName: m[1]!, homeRegion: m[2]!, time: m[3]!, backfill: m[4] !== undefined };
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
  const chains: ChainScope[] = [];
  for (const { account, region } of await digestRegions(store, where, only)) {
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
  return chains;
}

/** The trails (name and home region) with digests of the region in the range, from their keys. */
async function trailsIn(
  store: DigestStore,
  where: { bucket: string; prefix?: string },
  account: AccountPath,
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
    const parsed = parseDigestName(key, account.accountId, region);
    if (parsed === undefined || parsed.time > keyDateText(last)) continue;
    const { trailName, homeRegion } = parsed;
    found.set(`${trailName}\u0000${homeRegion}`, { trailName, homeRegion });
  }
  return [...found.values()];
}
