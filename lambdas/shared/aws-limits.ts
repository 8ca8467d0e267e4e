/**
 * The limits of AWS's APIs that the code relies on, each with its documented source. The emulators
 * (fauxqs, dynalite, DynamoDB Local) do not enforce all of them, so the pure core is tested at
 * these edges (test/indexer/aws-limits.test.ts).
 */

// --- Amazon SNS -----------------------------------------------------------------------------

/**
 * Publish `Subject`: "must be ASCII text that begins with a letter, number, or punctuation mark;
 * must not include line breaks or control characters; and must be less than 100 characters long."
 * Source: Amazon SNS API Reference, Publish, request parameter Subject
 * (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). Less than 100: at most 99.
 */
export const SNS_SUBJECT_MAX_CHARS = 99;

/**
 * Publish `Message` with its attributes: "at most 256 KB in size (262,144 bytes, not 262,144
 * characters)", and "All parts of the message attribute, including name, type, and value, are
 * included in the message size restriction". Sources: API_Publish.html (Message) and
 * https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html.
 */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/**
 * Message attribute names: "A-Z, a-z, 0-9, underscore(_), hyphen(-), and period (.)", not starting
 * or ending with a period, no consecutive periods, at most 256 characters, not starting with
 * `AWS.` or `Amazon.`; "Name, type, and value must not be empty or null". Source: Amazon SNS
 * Developer Guide, "Amazon SNS message attributes"
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html) and
 * API_MessageAttributeValue.html.
 */
export const SNS_ATTRIBUTE_NAME_PATTERN =
  /^(?!\.)(?!.*\.\.)(?!.*\.$)(?!aws\.)(?!amazon\.)[A-Za-z0-9_.-]{1,256}$/i;

/**
 * For SQS subscriptions with raw message delivery, "a maximum of 10 message attributes can be sent".
 * Source: "Amazon SNS message attributes" (above). Alerts stay within it so any subscriber works.
 */
export const SNS_MAX_ATTRIBUTES = 10;

// --- Amazon S3 and Amazon SQS ---------------------------------------------------------------

/**
 * "The name for a key is a sequence of Unicode characters whose UTF-8 encoding is at most 1,024
 * bytes long." Source: Amazon S3 User Guide, "Naming Amazon S3 objects"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). So `logKey`, an S3
 * key, needs no clipping in an item.
 */
export const S3_KEY_MAX_BYTES = 1024;

/**
 * DeleteObjects: "The request can contain a list of up to 1,000 keys that you want to delete."
 * Source: Amazon S3 API Reference, DeleteObjects
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
 */
export const S3_DELETE_OBJECTS_MAX_KEYS = 1000;

/**
 * SendMessageBatch and DeleteMessageBatch take at most 10 entries. Source: Amazon SQS API
 * Reference, DeleteMessageBatch ("Deletes up to ten messages") and ReceiveMessage
 * MaxNumberOfMessages (1 to 10) (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html).
 */
export const SQS_BATCH_MAX_ENTRIES = 10;

// --- Amazon DynamoDB ------------------------------------------------------------------------

/**
 * "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length
 * (UTF-8 length) and attribute value lengths (again binary length)." 1 KB = 1024 bytes there.
 * Source: Amazon DynamoDB Developer Guide, "Constraints in Amazon DynamoDB", Items
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html).
 */
export const DYNAMODB_ITEM_MAX_BYTES = 400 * 1024;

/**
 * Partition key value: "The minimum length of a partition key value is 1 byte. The maximum length is
 * 2048 bytes." Sort key value: "minimum ... 1 byte. The maximum length is 1024 bytes." The same
 * holds for the key attributes of a global secondary index. Source: "Constraints in Amazon
 * DynamoDB", Partition keys and sort keys (above).
 */
export const DYNAMODB_PARTITION_KEY_MAX_BYTES = 2048;
export const DYNAMODB_SORT_KEY_MAX_BYTES = 1024;

/**
 * "A single call to BatchWriteItem can transmit up to 16MB of data over the network, consisting of
 * up to 25 item put or delete operations." Source: Amazon DynamoDB API Reference, BatchWriteItem
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
 */
export const DYNAMODB_BATCH_WRITE_MAX_ITEMS = 25;
export const DYNAMODB_BATCH_WRITE_MAX_BYTES = 16 * 1024 * 1024;

// Empty strings are allowed for non-key attributes only: "the partition and sort key attributes of
// base tables continue to require non-empty values ... as do the string and binary key attributes
// of local secondary indexes or global secondary indexes." Source: What's New, 2020-05-18, "Amazon
// DynamoDB now supports empty values for non-key String and Binary attributes", and PutItem in the
// API Reference. Every key attribute here is built with a non-empty prefix (schema.ts `keys`).

// --- CloudTrail -----------------------------------------------------------------------------

/**
 * The largest event CloudTrail records is 256 KB ("CloudTrail events ... maximum event size of
 * 256 KB"; EventBridge has the same limit). Source: AWS CloudTrail User Guide, "Quotas in AWS
 * CloudTrail" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html).
 * The scanner keeps records of up to {@link MAX_RECORD_BYTES}, far above it, so that no record
 * CloudTrail writes is ever refused.
 */
export const CLOUDTRAIL_EVENT_MAX_BYTES = 256 * 1024;

/**
 * The largest record the scanner holds in memory to parse: 32 times CloudTrail's largest event.
 * Anything larger was not written by CloudTrail; it is skipped and reported, never buffered.
 */
export const MAX_RECORD_BYTES = 32 * CLOUDTRAIL_EVENT_MAX_BYTES;

// --- Amazon Glacier -------------------------------------------------------------------------

/**
 * Vault names: "Names can be between 1 and 255 characters long." Source: Amazon S3 Glacier
 * Developer Guide, "Creating a vault" (https://docs.aws.amazon.com/amazonglacier/latest/dev/creating-vaults.html).
 * Used by tests as the worst real input.
 */
export const GLACIER_VAULT_NAME_MAX_CHARS = 255;
