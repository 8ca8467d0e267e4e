/**
 * The mapping between a CloudTrail record and its index item, both ways: the indexer builds items
 * with {@link buildEventItem}; the CLI reads the original record back with {@link recordFromItem}.
 *
 * The original record travels in one of three forms, chosen by size (a DynamoDB item is at most
 * 400 KB, a CloudTrail event up to 256 KB plus our summary attributes):
 * - `record`: the record's JSON text, exactly as in the log file, when the item fits;
 * - `recordGz`: the gzip of that text (Binary), when only the compressed form fits;
 * - `recordRef`: where the record is (log bucket, key, eventID), when even that does not fit.
 * `recordStorage` says which, so nothing is ever silently cut or dropped.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DYNAMODB_ITEM_MAX_BYTES } from './aws-limits';
import {
  fitKey,
  IndexedEventSummary,
  INDEXES,
  keys,
  PARTITION_KEY,
  PROJECTED_ATTRIBUTES,
  SORT_KEY,
  TIME_KEY,
  TTL_ATTRIBUTE,
} from './schema';

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = DYNAMODB_ITEM_MAX_BYTES;
/**
 * Each summary attribute is at most this long (the original record keeps the whole text). Real
 * values are far shorter (an IAM role ARN with the longest path is under 1 KB); a forged record's
 * 300 KB user agent would otherwise leave no room for the record, or even for the summary.
 */
export const SUMMARY_VALUE_MAX_BYTES = 4096;
/** DescribeCases takes at most 100 case ids (AWS Support API Reference, DescribeCases, caseIdList). */
export const MAX_CASE_IDS = 100;
/** Kept free below the limit: our size estimate is close to DynamoDB's rules, not identical. */
const ITEM_SIZE_MARGIN = 4 * 1024;

export type RecordStorage = 'inline' | 'gzip' | 'pointer';

/** Where an oversized record can be found again. */
export interface RecordRef {
  readonly bucket: string;
  readonly key: string;
  readonly eventID: string;
}

/** An indexed event as stored in the base table. */
export interface EventItem extends IndexedEventSummary {
  readonly [PARTITION_KEY]: string;
  readonly [SORT_KEY]: string;
  readonly [TIME_KEY]: string;
  readonly resourcePk?: string;
  readonly principalPk: string;
  readonly actionPk: string;
  readonly locationPk: string;
  /** Every case id of the call when there are several (DescribeCases' `caseIdList`), at most 100. */
  readonly caseIds?: readonly string[];
  readonly recordStorage: RecordStorage;
  readonly record?: string;
  readonly recordGz?: Uint8Array;
  readonly recordRef?: RecordRef;
  readonly [TTL_ATTRIBUTE]?: number;
}

export interface BuildItemOptions {
  readonly logBucket: string;
  readonly logKey: string;
  /** When the item is written. */
  readonly indexedAt: Date;
  /** Days to keep the event after its eventTime; absent means keep. */
  readonly retentionDays?: number;
  /** The record's JSON text; serialised from `record` when absent. */
  readonly raw?: string;
}

export interface Principal {
  /** ARN; for `AWSService` callers the `invokedBy` service; else the best identifier known. */
  readonly principal: string;
  readonly principalType: string;
  readonly accessKeyId?: string;
  readonly mfaAuthenticated?: boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * `text` within {@link SUMMARY_VALUE_MAX_BYTES} of UTF-8, cut at a character boundary and marked
 * with how much was left out.
 */
export function clipSummaryValue(text: string): string {
  if (text.length * 3 <= SUMMARY_VALUE_MAX_BYTES) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= SUMMARY_VALUE_MAX_BYTES) return text;
  let cut = SUMMARY_VALUE_MAX_BYTES - 48;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return `${bytes.toString('utf8', 0, cut)}... [${bytes.length - cut} more bytes in the record]`;
}

/**
 * Who made the call, for every `userIdentity.type` CloudTrail documents. Types without an ARN get
 * the most specific identifier they carry, prefixed where a bare value would be ambiguous.
 */
export function extractPrincipal(record: Record<string, unknown>): Principal {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const type = str(identity.type) ?? 'Unknown';
  const attributes =
    isObject(identity.sessionContext) && isObject(identity.sessionContext.attributes)
      ? identity.sessionContext.attributes
      : {};
  const mfa = attributes.mfaAuthenticated;
  const accessKeyId = str(identity.accessKeyId);
  const common = {
    principalType: type,
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(mfa === 'true' || mfa === true ? { mfaAuthenticated: true } : {}),
    ...(mfa === 'false' || mfa === false ? { mfaAuthenticated: false } : {}),
  };
  const arn = str(identity.arn);
  if (arn !== undefined) return { principal: arn, ...common };
  const invokedBy = str(identity.invokedBy);
  const principalId = str(identity.principalId);
  const userName = str(identity.userName);
  const accountId = str(identity.accountId);
  const provider = str(identity.identityProvider);
  let principal: string | undefined;
  switch (type) {
    case 'AWSService':
      principal = invokedBy;
      break;
    case 'IdentityCenterUser': {
      const onBehalfOf = isObject(identity.onBehalfOf) ? identity.onBehalfOf : {};
      const userId = str(onBehalfOf.userId);
      const store = str(onBehalfOf.identityStoreArn);
      if (userId !== undefined) principal = store === undefined ? userId : `${store}/user/${userId}`;
      break;
    }
    case 'SAMLUser':
    case 'WebIdentityUser':
      principal = provider !== undefined && userName !== undefined ? `${provider}:${userName}` : principalId;
      break;
    case 'AWSAccount':
      // A principal of another account: its account id is what CloudTrail reliably gives.
      principal = accountId === undefined ? principalId : `account:${accountId}`;
      break;
    default:
      principal = userName ?? principalId;
  }
  return {
    principal: principal ?? invokedBy ?? principalId ?? userName ?? accountId ?? 'unknown',
    ...common,
  };
}

/** A support case id: CreateCase answers with it; other actions send it (DescribeCases a list). */
export function extractCaseIds(record: Record<string, unknown>): string[] {
  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  const response = isObject(record.responseElements) ? record.responseElements : {};
  const fromResponse = str(response.caseId);
  if (record.eventName === 'CreateCase' && fromResponse !== undefined) return [fromResponse];
  const fromRequest = str(request.caseId);
  if (fromRequest !== undefined) return [fromRequest];
  if (Array.isArray(request.caseIdList)) {
    const ids = request.caseIdList.filter((id): id is string => str(id) !== undefined);
    return [...new Set(ids)].slice(0, MAX_CASE_IDS);
  }
  return fromResponse === undefined ? [] : [fromResponse];
}

/** The account the call was recorded for: `recipientAccountId`, else the caller's account. */
function recordAccount(record: Record<string, unknown>): string {
  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  return str(record.recipientAccountId) ?? str(identity.accountId) ?? 'unknown';
}

/**
 * An event ID for a record that lacks one (not something CloudTrail writes, but the index must not
 * drop the record): a hash of its text, so reprocessing gives the same key.
 */
function eventIdOf(record: Record<string, unknown>, raw: string): string {
  const given = str(record.eventID);
  // A real eventID is a UUID; a forged one of any length is fitted once, here, so that the item's
  // attribute and every key built from it agree.
  if (given !== undefined) return fitKey(given, MAX_EVENT_ID_BYTES);
  return `sha256-${createHash('sha256').update(raw).digest('hex')}`;
}

/** Room for the `EVENT#` prefix and an eventTime in the 1024-byte `ts` sort key. */
const MAX_EVENT_ID_BYTES = 512;

/** Builds the item for a selected record. Pure apart from gzip. */
export function buildEventItem(record: Record<string, unknown>, options: BuildItemOptions): EventItem {
  const raw = options.raw ?? JSON.stringify(record);
  const eventID = eventIdOf(record, raw);
  const eventTime = str(record.eventTime) ?? '0000-00-00T00:00:00Z';
  const eventSource = str(record.eventSource) ?? 'unknown';
  const eventName = str(record.eventName) ?? 'unknown';
  const awsRegion = str(record.awsRegion) ?? 'unknown';
  const account = recordAccount(record);
  const request = isObject(record.requestParameters) ? record.requestParameters : {};
  const vaultName = str(request.vaultName);
  // Glacier's `accountId: "-"` means "the caller's own account".
  const requestAccount = str(request.accountId);
  const vaultAccountId =
    vaultName === undefined
      ? undefined
      : requestAccount === undefined || requestAccount === '-'
        ? account
        : requestAccount;
  const caseIds = extractCaseIds(record);
  const caseId = caseIds[0];
  const principal = extractPrincipal(record);
  const readOnly =
    record.readOnly === true || record.readOnly === 'true'
      ? true
      : record.readOnly === false || record.readOnly === 'false'
        ? false
        : undefined;
  const optional = {
    sourceIPAddress: str(record.sourceIPAddress),
    userAgent: str(record.userAgent),
    errorCode: str(record.errorCode),
    errorMessage: str(record.errorMessage),
    vaultName,
    vaultAccountId,
    caseId,
    readOnly,
    caseIds: caseIds.length > 1 ? caseIds.map(clipSummaryValue) : undefined,
    resourcePk:
      vaultName !== undefined && vaultAccountId !== undefined
        ? keys.vault(vaultAccountId, awsRegion, vaultName)
        : caseId !== undefined
          ? keys.supportCase(caseId)
          : undefined,
    [TTL_ATTRIBUTE]: expiresAt(eventTime, options.indexedAt, options.retentionDays),
  };
  const base = {
    ...keys.event(eventID),
    [TIME_KEY]: keys.time(eventTime, eventID),
    principalPk: keys.principal(principal.principal),
    actionPk: keys.action(eventSource, eventName),
    locationPk: keys.location(account, awsRegion),
    eventID,
    eventTime,
    eventSource,
    eventName,
    awsRegion,
    recipientAccountId: account,
    ...principal,
    ...(Object.fromEntries(
      Object.entries(optional).filter(([, v]) => v !== undefined),
    ) as Partial<EventItem>),
    logBucket: options.logBucket,
    logKey: options.logKey,
    indexedAt: options.indexedAt.toISOString(),
  } as Omit<EventItem, 'recordStorage'>;
  return withRecord(clipSummary(base), raw);
}

/** Summary attributes clipped to {@link SUMMARY_VALUE_MAX_BYTES}; keys are fitted by the schema. */
function clipSummary<T extends object>(item: T): T {
  const out = { ...item } as Record<string, unknown>;
  for (const attribute of CLIPPED_ATTRIBUTES) {
    const value = out[attribute];
    if (typeof value === 'string') out[attribute] = clipSummaryValue(value);
  }
  return out as T;
}

/**
 * Summary strings taken from the record: all projected attributes but the eventID (fitted where it
 * is read), the log file's bucket and key (an S3 key is at most 1,024 bytes) and our own values.
 */
const CLIPPED_ATTRIBUTES = PROJECTED_ATTRIBUTES.filter(
  (name) => !['eventID', 'mfaAuthenticated', 'readOnly', 'logBucket', 'logKey', 'indexedAt'].includes(name),
);

/** The GSI partition keys of an event item, which a case link does not repeat. */
const GSI_PARTITION_KEYS = Object.values(INDEXES).map((index) => index.partitionKey);

/** An extra item that makes an event found by one more of its support cases. */
export interface CaseLinkItem extends IndexedEventSummary {
  readonly [PARTITION_KEY]: string;
  readonly [SORT_KEY]: string;
  readonly [TIME_KEY]: string;
  readonly resourcePk: string;
  readonly [TTL_ATTRIBUTE]?: number;
}

/**
 * The case links of an event item: one per case id after the first (which the event item itself
 * carries in `resourcePk`), so that `query --case` finds a DescribeCases call by any case it named.
 * Each carries the event's summary, its `ts` and TTL, under that case's resource key only.
 */
export function buildCaseLinkItems(item: EventItem): CaseLinkItem[] {
  const ids = item.caseIds ?? [];
  if (ids.length < 2) return [];
  const summary: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    if (!NOT_IN_LINKS.has(name) && !GSI_PARTITION_KEYS.includes(name)) summary[name] = value;
  }
  return ids.slice(1).map((caseId) => ({
    ...(summary as unknown as IndexedEventSummary),
    ...keys.caseLink(item.eventID, caseId),
    [TIME_KEY]: item[TIME_KEY],
    caseId,
    resourcePk: keys.supportCase(caseId),
    ...(item[TTL_ATTRIBUTE] === undefined ? {} : { [TTL_ATTRIBUTE]: item[TTL_ATTRIBUTE] }),
  }));
}

/** Attributes of an event item that its case links leave out (the record stays in one place). */
const NOT_IN_LINKS = new Set<string>([
  PARTITION_KEY,
  SORT_KEY,
  'caseIds',
  'recordStorage',
  'record',
  'recordGz',
  'recordRef',
]);

function expiresAt(
  eventTime: string,
  indexedAt: Date,
  retentionDays: number | undefined,
): number | undefined {
  if (retentionDays === undefined) return undefined;
  const parsed = Date.parse(eventTime);
  const from = Number.isNaN(parsed) ? indexedAt.getTime() : parsed;
  return Math.floor(from / 1000) + Math.round(retentionDays * 86_400);
}

/** Attaches the record in the largest form that fits. */
function withRecord(base: Omit<EventItem, 'recordStorage'>, raw: string): EventItem {
  const limit = MAX_ITEM_BYTES - ITEM_SIZE_MARGIN;
  const inline: EventItem = { ...base, recordStorage: 'inline', record: raw };
  if (estimateItemSize(inline) <= limit) return inline;
  const gzipped: EventItem = { ...base, recordStorage: 'gzip', recordGz: gzipSync(raw) };
  if (estimateItemSize(gzipped) <= limit) return gzipped;
  return {
    ...base,
    recordStorage: 'pointer',
    recordRef: { bucket: base.logBucket, key: base.logKey, eventID: base.eventID },
  };
}

/**
 * Item size by DynamoDB's documented rules: attribute names plus values (UTF-8 strings, binary
 * length, numbers up to 21 bytes, 1 byte for booleans and null, 3 bytes plus 1 per element of a
 * map or list). Rounds up where the rules are vague.
 */
export function estimateItemSize(item: object): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    size += Buffer.byteLength(name) + valueSize(value);
  }
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return 21;
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((sum: number, v: unknown) => sum + 1 + valueSize(v), 3);
  if (isObject(value)) return 3 + estimateItemSize(value) + Object.keys(value).length;
  return 0;
}

/** The record an item carries, decoded; or where to find it when it was too large for the item. */
export type ItemRecord =
  | { readonly storage: 'inline' | 'gzip'; readonly record: Record<string, unknown> }
  | { readonly storage: 'pointer'; readonly ref: RecordRef };

export class ItemRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ItemRecordError';
  }
}

/** Reads the original record back from a base-table item (as the DocumentClient returns it). */
export function recordFromItem(storedItem: object): ItemRecord {
  const item = storedItem as Readonly<Record<string, unknown>>;
  const parse = (text: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch (err) {
      throw new ItemRecordError(`item ${String(item.eventID)} holds a record that is not JSON`, {
        cause: err,
      });
    }
    if (!isObject(value))
      throw new ItemRecordError(`item ${String(item.eventID)} holds a record that is not an object`);
    return value;
  };
  if (typeof item.record === 'string') return { storage: 'inline', record: parse(item.record) };
  if (item.recordGz instanceof Uint8Array) {
    return { storage: 'gzip', record: parse(gunzipSync(item.recordGz).toString('utf8')) };
  }
  const ref = item.recordRef;
  if (
    isObject(ref) &&
    typeof ref.bucket === 'string' &&
    typeof ref.key === 'string' &&
    typeof ref.eventID === 'string'
  ) {
    return { storage: 'pointer', ref: { bucket: ref.bucket, key: ref.key, eventID: ref.eventID } };
  }
  throw new ItemRecordError(`item ${String(item.eventID)} carries no record`);
}
