/**
 * What the owner of a log-archive account adds so that this stack's indexer and verifier can read
 * the existing trail's files: a bucket-policy statement and, for SSE-KMS files, a key-policy
 * statement, with the real ARNs. Printed at synth by the stack and shown in the README, from this
 * one function.
 */
import { logsRoot } from './constructs/indexer-function';

export interface ReaderRoles {
  /** ARNs of the roles that read: the indexer's, the verifier's and the backfill's. */
  readonly roleArns: readonly string[];
  /** ARNs of the roles that may restore archived files (the distributed backfill's). @default - none */
  readonly restoreRoleArns?: readonly string[];
  /**
   * ARNs of roles that only list the files, and cannot assume a reader role: the backfill's state
   * machine, whose Distributed Map lists the bucket itself. @default - none
   */
  readonly listRoleArns?: readonly string[];
}

export interface LogArchiveStatements {
  readonly bucketPolicy: readonly Record<string, unknown>[];
  readonly keyPolicy: readonly Record<string, unknown>[];
}

/** Where the existing trail's files are. */
export interface LogArchiveLocation {
  readonly bucketName: string;
  readonly keyPrefix?: string;
  readonly kmsKeyArn?: string;
  readonly partition?: string;
}

/** The reads the functions need, as statements without a principal: get, list, decrypt. */
function reads(where: LogArchiveLocation) {
  const bucketArn = `arn:${where.partition ?? 'aws'}:s3:::${where.bucketName}`;
  const logs = logsRoot(where.keyPrefix);
  return {
    get: { Action: 's3:GetObject', Resource: `${bucketArn}/${logs}*` },
    // An object action like GetObject, on the same objects: archived files are restored first.
    restore: { Action: 's3:RestoreObject', Resource: `${bucketArn}/${logs}*` },
    list: {
      Action: 's3:ListBucket',
      Resource: bucketArn,
      Condition: { StringLike: { 's3:prefix': [`${logs}*`] } },
    },
    // Only CloudTrail's files: they carry its encryption context.
    decrypt: (resource: string) => ({
      Action: 'kms:Decrypt',
      Resource: resource,
      Condition: { Null: { 'kms:EncryptionContext:aws:cloudtrail:arn': 'false' } },
    }),
  };
}

function principalOf(roleArns: readonly string[]) {
  return { AWS: roleArns.length === 1 ? roleArns[0] : [...roleArns] };
}

export function logArchiveStatements(where: LogArchiveLocation, readers: ReaderRoles): LogArchiveStatements {
  const { get, list, decrypt, restore } = reads(where);
  const allow = { Effect: 'Allow', Principal: principalOf(readers.roleArns) };
  const restorers = readers.restoreRoleArns ?? [];
  return {
    // S3 User Guide, "Bucket owner granting cross-account bucket permissions": the other account's
    // principals, GetObject on the objects and ListBucket on the bucket (limited by s3:prefix).
    bucketPolicy: [
      { Sid: 'TrailIndexReadLogFiles', ...allow, ...get },
      {
        Sid: 'TrailIndexListLogFiles',
        Effect: 'Allow',
        Principal: principalOf([...readers.roleArns, ...(readers.listRoleArns ?? [])]),
        ...list,
      },
      ...(restorers.length === 0
        ? []
        : [
            {
              Sid: 'TrailIndexRestoreArchivedLogFiles',
              Effect: 'Allow',
              Principal: principalOf(restorers),
              ...restore,
            },
          ]),
    ],
    // CloudTrail User Guide, "Granting decrypt permissions for trails" (users in other accounts):
    // kms:Decrypt for the principals, only for CloudTrail's files (their encryption context).
    keyPolicy:
      where.kmsKeyArn === undefined
        ? []
        : [{ Sid: 'TrailIndexDecryptCloudTrailFiles', ...allow, ...decrypt('*') }],
  };
}

/**
 * The role a log-archive account's owner creates instead of bucket-policy statements: its trust
 * policy lets this stack's functions assume it (IAM User Guide, "Creating a role to delegate
 * permissions to an IAM user": Principal the other account's roles, sts:AssumeRole), and its
 * permissions are the same reads as above, as an identity policy.
 */
export function readerRolePolicies(
  where: LogArchiveLocation,
  readers: ReaderRoles,
): {
  trustPolicy: Record<string, unknown>;
  permissionsPolicy: Record<string, unknown>;
  /** For roles that cannot assume the reader role (the backfill's state machine): statements for the bucket policy. */
  bucketPolicy: readonly Record<string, unknown>[];
} {
  const { get, list, decrypt, restore } = reads(where);
  const listers = readers.listRoleArns ?? [];
  return {
    bucketPolicy:
      listers.length === 0
        ? []
        : [{ Sid: 'TrailIndexListLogFiles', Effect: 'Allow', Principal: principalOf(listers), ...list }],
    trustPolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: principalOf(readers.roleArns), Action: 'sts:AssumeRole' }],
    },
    permissionsPolicy: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', ...get },
        { Effect: 'Allow', ...list },
        // The distributed backfill restores archived files through the same role.
        ...((readers.restoreRoleArns ?? []).length === 0 ? [] : [{ Effect: 'Allow', ...restore }]),
        ...(where.kmsKeyArn === undefined ? [] : [{ Effect: 'Allow', ...decrypt(where.kmsKeyArn) }]),
      ],
    },
  };
}
