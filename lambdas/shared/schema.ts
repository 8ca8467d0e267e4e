/**
 * The one definition of the index table: key names, secondary indexes, key builders and the
 * attributes every indexed event carries. The CDK table, the indexer, the CLI and local mode all
 * import it, so the table that is deployed and the table that is queried cannot drift apart.
 *
 * Layout (single table, entities own their prefixes):
 *
 * | entity       | pk                   | sk              | GSI keys                                  |
 * |--------------|----------------------|-----------------|-------------------------------------------|
 * | indexed event| `EVENT#<eventID>`    | `EVENT`         | all four below, sort key `ts`             |
 * | alert marker | `EVENT#<eventID>`    | `ALERT#<rule>`  | none (sparse: never in a GSI)             |
 * | case link    | `EVENT#<eventID>`    | `CASE#<caseId>` | byResource only, for a call's 2nd..nth case |
 * | log file     | `FILE#s3://<b>/<k>`  | `FILE`          | none: its hash and integrity state          |
 * | digest file  | `DIGEST#s3://<b>/<k>`| `DIGEST`        | none: its verification state                |
 * | digest chains| `CHAINS#<b>#<prefix>#<account>#<region>` | `CHAINS` | none: the verifier's place in each chain |
 *
 * A case link makes a call that names several support cases (DescribeCases' `caseIdList`) found by
 * each of them, not only by the first: it carries the event's summary under that case's resource
 * key, and no other GSI key, so the other indexes hold the event once.
 *
 * Every GSI sorts on `ts` = `<eventTime>#<eventID>`: ISO-8601 sorts by time, and the eventID suffix
 * keeps two events of the same second apart. Query with `ScanIndexForward: false` for newest first.
 */
import { createHash } from 'node:crypto';
import { DYNAMODB_PARTITION_KEY_MAX_BYTES, DYNAMODB_SORT_KEY_MAX_BYTES } from './aws-limits';

/** Partition key of the base table. */
export const PARTITION_KEY = 'pk';
/** Sort key of the base table. */
export const SORT_KEY = 'sk';
/** Sort key of every GSI: `<eventTime>#<eventID>`. */
export const TIME_KEY = 'ts';
/** Epoch seconds after which DynamoDB may delete the item; absent when retention is "keep". */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The questions the index answers, each served by one GSI. */
export type IndexName = 'byResource' | 'byPrincipal' | 'byAction' | 'byLocation';

export interface IndexDefinition {
  readonly indexName: IndexName;
  /** GSI partition key attribute. */
  readonly partitionKey: string;
  /** GSI sort key attribute (always {@link TIME_KEY}). */
  readonly sortKey: string;
  /** What a user asks with it. */
  readonly description: string;
}

export const INDEXES: Readonly<Record<IndexName, IndexDefinition>> = {
  byResource: {
    indexName: 'byResource',
    partitionKey: 'resourcePk',
    sortKey: TIME_KEY,
    description: 'a Glacier vault (account + region + vault name) or a Support case id',
  },
  byPrincipal: {
    indexName: 'byPrincipal',
    partitionKey: 'principalPk',
    sortKey: TIME_KEY,
    description: 'a principal: its ARN, or for AWS services the invokedBy service name',
  },
  byAction: {
    indexName: 'byAction',
    partitionKey: 'actionPk',
    sortKey: TIME_KEY,
    description: 'a service and event name, e.g. glacier.amazonaws.com DeleteVault',
  },
  byLocation: {
    indexName: 'byLocation',
    partitionKey: 'locationPk',
    sortKey: TIME_KEY,
    description: 'an account and region',
  },
};

/**
 * Summary attributes of an indexed event: what the GSIs project and what the CLI prints.
 * The original record (`record` / `recordGz` / `recordRef`) is deliberately not projected: it is
 * the bulk of the item, and `--full` fetches it from the base table.
 */
export interface IndexedEventSummary {
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly recipientAccountId: string;
  /** ARN of the caller; for `AWSService` callers the `invokedBy` service; else the best identifier known. */
  readonly principal: string;
  /** `userIdentity.type`, e.g. `IAMUser`, `AssumedRole`, `AWSService`. */
  readonly principalType: string;
  readonly accessKeyId?: string;
  /** `sessionContext.attributes.mfaAuthenticated`, as CloudTrail reports it. */
  readonly mfaAuthenticated?: boolean;
  readonly sourceIPAddress?: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly vaultName?: string;
  /** Glacier's account id, with CloudTrail's `-` normalised to the record's account. */
  readonly vaultAccountId?: string;
  readonly caseId?: string;
  readonly readOnly?: boolean;
  /** Bucket and key of the log file the event was read from. */
  readonly logBucket: string;
  readonly logKey: string;
  /** When the indexer wrote the item (ISO-8601). */
  readonly indexedAt: string;
}

/** Attributes projected into every GSI besides the keys. */
export const PROJECTED_ATTRIBUTES: readonly (keyof IndexedEventSummary)[] = [
  'eventID',
  'eventTime',
  'eventSource',
  'eventName',
  'awsRegion',
  'recipientAccountId',
  'principal',
  'principalType',
  'accessKeyId',
  'mfaAuthenticated',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'vaultName',
  'vaultAccountId',
  'caseId',
  'readOnly',
  'logBucket',
  'logKey',
  'indexedAt',
];

/** Marks a key value shortened by {@link fitKey}; followed by the SHA-256 of the whole value. */
const FITTED_KEY_MARK = '~sha256:';

/**
 * A key value within DynamoDB's limit for its kind of key. Values from real CloudTrail records are
 * far shorter; a forged record's may not be. A longer value keeps its first bytes (cut at a
 * character boundary) and ends with the SHA-256 of the whole value: deterministic, so that the
 * CLI, building the same key from the same value, finds the item, and distinct values stay apart.
 */
export function fitKey(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value, 'utf8') <= maxBytes) return value;
  const digest = createHash('sha256').update(value, 'utf8').digest('hex');
  const keep = maxBytes - FITTED_KEY_MARK.length - digest.length;
  const bytes = Buffer.from(value, 'utf8');
  let cut = keep;
  // Back up to the start of a UTF-8 character (continuation bytes are 10xxxxxx).
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return `${bytes.toString('utf8', 0, cut)}${FITTED_KEY_MARK}${digest}`;
}

const pk = (value: string) => fitKey(value, DYNAMODB_PARTITION_KEY_MAX_BYTES);
const sk = (value: string) => fitKey(value, DYNAMODB_SORT_KEY_MAX_BYTES);

/**
 * Key builders. Each entity owns its prefix; nothing else concatenates keys. Every value has a
 * non-empty prefix (DynamoDB refuses empty key strings, GSI keys included) and is fitted to the
 * partition (2048 bytes) or sort key (1024 bytes) limit; see aws-limits.ts.
 */
export const keys = {
  event: (eventID: string) => ({ [PARTITION_KEY]: pk(`EVENT#${eventID}`), [SORT_KEY]: 'EVENT' }),
  /** A rate rule's count of events on one resource in one window. */
  rateWindow: (ruleId: string, resource: string, windowStart: string) => ({
    [PARTITION_KEY]: pk(`RATE#${ruleId}#${resource}`),
    [SORT_KEY]: sk(`WINDOW#${windowStart}`),
  }),
  /** A trail's last known status, for alerts on each change. */
  trailStatus: (trailArn: string) => ({ [PARTITION_KEY]: pk(`TRAIL#${trailArn}`), [SORT_KEY]: 'STATUS' }),
  alertMarker: (eventID: string, ruleId: string) => ({
    [PARTITION_KEY]: pk(`EVENT#${eventID}`),
    [SORT_KEY]: sk(`ALERT#${ruleId}`),
  }),
  caseLink: (eventID: string, caseId: string) => ({
    [PARTITION_KEY]: pk(`EVENT#${eventID}`),
    [SORT_KEY]: sk(`CASE#${caseId}`),
  }),
  logFile: (bucket: string, key: string) => ({
    [PARTITION_KEY]: pk(`FILE#s3://${bucket}/${key}`),
    [SORT_KEY]: 'FILE',
  }),
  digest: (bucket: string, key: string) => ({
    [PARTITION_KEY]: pk(`DIGEST#s3://${bucket}/${key}`),
    [SORT_KEY]: 'DIGEST',
  }),
  chains: (bucket: string, prefix: string, accountId: string, region: string) => ({
    [PARTITION_KEY]: pk(`CHAINS#${bucket}#${prefix}#${accountId}#${region}`),
    [SORT_KEY]: 'CHAINS',
  }),
  time: (eventTime: string, eventID: string) => sk(`${eventTime}#${eventID}`),
  vault: (accountId: string, region: string, vaultName: string) =>
    pk(`VAULT#${accountId}#${region}#${vaultName}`),
  supportCase: (caseId: string) => pk(`CASE#${caseId}`),
  principal: (principal: string) => pk(`PRINCIPAL#${principal}`),
  action: (eventSource: string, eventName: string) => pk(`ACTION#${eventSource}#${eventName}`),
  location: (accountId: string, region: string) => pk(`LOCATION#${accountId}#${region}`),
} as const;

/**
 * Bounds of a time range on {@link TIME_KEY}, inclusive. `~` sorts after every character an
 * eventID uses, so `until` includes events of that very instant.
 */
export function timeRange(since?: string, until?: string): { lower: string; upper: string } {
  return { lower: since ?? '0000', upper: `${until ?? '9999'}~` };
}

/** The attribute definitions and GSIs of the table, in the shape CreateTable and CDK both take. */
export const TABLE_SHAPE = {
  partitionKey: PARTITION_KEY,
  sortKey: SORT_KEY,
  indexes: Object.values(INDEXES),
  projectedAttributes: PROJECTED_ATTRIBUTES,
} as const;

/**
 * CreateTable input for local mode and tests: the same keys and indexes as the CDK table.
 * Structurally typed so that this module needs no SDK import (it is bundled into the Lambda).
 */
export function createTableInput(tableName: string) {
  const keyAttributes = [
    PARTITION_KEY,
    SORT_KEY,
    TIME_KEY,
    ...Object.values(INDEXES).map((i) => i.partitionKey),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...new Set(keyAttributes)].map((name) => ({
      AttributeName: name,
      AttributeType: 'S' as const,
    })),
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' as const },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...PROJECTED_ATTRIBUTES] },
    })),
  };
}
