/**
 * What the index knows about integrity: each log file's SHA-256 (written by the indexer, which
 * inflates the file anyway) and its state, each digest's verdict, and where the verifier is in each
 * account and region's digest chains. Items live in the index table (see schema.ts), in no GSI.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys, TTL_ATTRIBUTE } from '../shared/schema';
import { documentClient } from '../indexer/index-writer';

/** A log file's integrity: `pending` until a valid digest lists it. */
export type LogFileIntegrity = 'pending' | 'verified' | 'invalid' | 'missing';

export interface LogFileState {
  readonly logBucket: string;
  readonly logKey: string;
  /** What the indexer computed; absent when it never read the file whole. */
  readonly sha256?: string;
  readonly integrity: LogFileIntegrity;
  /** Why it is invalid or missing, in the reference's words. */
  readonly integrityReason?: string;
  /** The hash the digest lists, and the digest. */
  readonly expectedSha256?: string;
  readonly digestKey?: string;
  readonly verifiedAt?: string;
}

export type DigestState = 'valid' | 'invalid' | 'missing';

/** The verifier's place in one chain: the last digest it checked. */
export interface ChainPosition {
  readonly lastKey: string;
  readonly lastEndTime: string;
  /** The last digest's signature; absent when that digest was invalid (its signature is not known). */
  readonly lastSignature?: string;
  /** The overdue alert already raised for this position, if any. */
  readonly overdueAlerted?: boolean;
}

/** The positions of the chains of one account and region, by `<trail>_<home region>[_backfill]`. */
export type RegionChains = Record<string, ChainPosition>;

export interface IntegrityStore {
  /** Records the indexer's hash; returns the state after, to compare with a digest already seen. */
  recordHash(file: {
    bucket: string;
    key: string;
    sha256: string;
    expiresAt?: number;
  }): Promise<LogFileState>;
  getLogFile(bucket: string, key: string): Promise<LogFileState | undefined>;
  setLogFileVerdict(
    file: { bucket: string; key: string },
    verdict: {
      integrity: Exclude<LogFileIntegrity, 'pending'>;
      reason?: string;
      expectedSha256: string;
      digestKey: string;
      sha256?: string;
    },
  ): Promise<void>;
  putDigest(
    digest: { bucket: string; key: string },
    state: { state: DigestState; reason?: string; accountId: string; region: string; logFiles?: number },
  ): Promise<void>;
  getChains(bucket: string, prefix: string, accountId: string, region: string): Promise<RegionChains>;
  putChains(
    bucket: string,
    prefix: string,
    accountId: string,
    region: string,
    chains: RegionChains,
  ): Promise<void>;
}

export function createIntegrityStore(options: {
  readonly dynamodb: DynamoDBClient | DynamoDBDocumentClient;
  readonly tableName: string;
}): IntegrityStore {
  const db = documentClient(options.dynamodb);
  const TableName = options.tableName;
  return {
    async recordHash({ bucket, key, sha256, expiresAt }) {
      const { Attributes } = await db.send(
        new UpdateCommand({
          TableName,
          Key: keys.logFile(bucket, key),
          UpdateExpression: `SET logBucket = :bucket, logKey = :key, sha256 = :sha256, hashedAt = :now, integrity = if_not_exists(integrity, :pending)${
            expiresAt === undefined ? '' : `, ${TTL_ATTRIBUTE} = :expiresAt`
          }`,
          ExpressionAttributeValues: {
            ':bucket': bucket,
            ':key': key,
            ':sha256': sha256,
            ':now': new Date().toISOString(),
            ':pending': 'pending',
            ...(expiresAt === undefined ? {} : { ':expiresAt': expiresAt }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes as LogFileState;
    },
    async getLogFile(bucket, key) {
      const { Item } = await db.send(
        new GetCommand({ TableName, Key: keys.logFile(bucket, key), ConsistentRead: true }),
      );
      return Item as LogFileState | undefined;
    },
    async setLogFileVerdict({ bucket, key }, verdict) {
      await db.send(
        new UpdateCommand({
          TableName,
          Key: keys.logFile(bucket, key),
          UpdateExpression: [
            'SET logBucket = :bucket, logKey = :key, integrity = :integrity, expectedSha256 = :expected, digestKey = :digest, verifiedAt = :now',
            verdict.reason === undefined ? '' : ', integrityReason = :reason',
            verdict.sha256 === undefined ? '' : ', sha256 = if_not_exists(sha256, :sha256)',
            verdict.reason === undefined ? ' REMOVE integrityReason' : '',
          ].join(''),
          ExpressionAttributeValues: {
            ':bucket': bucket,
            ':key': key,
            ':integrity': verdict.integrity,
            ':expected': verdict.expectedSha256,
            ':digest': verdict.digestKey,
            ':now': new Date().toISOString(),
            ...(verdict.reason === undefined ? {} : { ':reason': verdict.reason }),
            ...(verdict.sha256 === undefined ? {} : { ':sha256': verdict.sha256 }),
          },
        }),
      );
    },
    async putDigest({ bucket, key }, state) {
      await db.send(
        new PutCommand({
          TableName,
          Item: {
            ...keys.digest(bucket, key),
            digestBucket: bucket,
            digestKey: key,
            ...state,
            checkedAt: new Date().toISOString(),
          },
        }),
      );
    },
    async getChains(bucket, prefix, accountId, region) {
      const { Item } = await db.send(
        new GetCommand({
          TableName,
          Key: keys.chains(bucket, prefix, accountId, region),
          ConsistentRead: true,
        }),
      );
      return ((Item?.chains as RegionChains | undefined) ?? {}) satisfies RegionChains;
    },
    async putChains(bucket, prefix, accountId, region, chains) {
      await db.send(
        new PutCommand({
          TableName,
          Item: {
            ...keys.chains(bucket, prefix, accountId, region),
            chains,
            updatedAt: new Date().toISOString(),
          },
        }),
      );
    },
  };
}
