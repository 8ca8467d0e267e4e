/**
 * The AWS list prices trail-index's estimates use (the benchmark's cost per million events, the
 * distributed backfill's dry run), each with its page: us-east-1, read on 2026-12-02, before free
 * tiers; other regions differ by a few percent.
 */
export const PRICES = {
  /** Lambda, arm64, per GB-second of duration (https://aws.amazon.com/lambda/pricing/). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Lambda, per request (https://aws.amazon.com/lambda/pricing/): $0.20 per million. */
  lambdaPerRequest: 0.2 / 1e6,
  /**
   * Lambda gives a function CPU in proportion to its memory, one full vCPU at 1,769 MB
   * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
   */
  lambdaMbPerVcpu: 1769,
  /** S3 Standard GET, $0.0004 per 1,000 requests (https://aws.amazon.com/s3/pricing/). */
  s3GetPerRequest: 0.0004 / 1000,
  /**
   * KMS, $0.03 per 10,000 requests (https://aws.amazon.com/kms/pricing/). With the bucket's S3
   * Bucket Key most GETs need none; counted as one per file, an upper bound.
   */
  kmsPerRequest: 0.03 / 10_000,
  /**
   * SNS, $0.50 per million requests: CloudTrail's one notification per file; deliveries to Lambda
   * cost nothing (https://aws.amazon.com/sns/pricing/).
   */
  snsPerPublish: 0.5 / 1e6,
  /** DynamoDB on-demand, $0.625 per million write request units (https://aws.amazon.com/dynamodb/pricing/on-demand/). */
  dynamoPerWriteUnit: 0.625 / 1e6,
  /** DynamoDB Standard storage, $0.25 per GB-month (same page). */
  dynamoStoragePerGbMonth: 0.25,
} as const;
