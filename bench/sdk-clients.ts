/**
 * Cold-start baseline: the AWS SDK clients the indexer uses, imported and constructed, nothing
 * else. Bundled exactly like the handler, so the two import times compare our code's share.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const clients = [
  new S3Client({}),
  new SNSClient({}),
  DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
];
