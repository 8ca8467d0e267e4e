/**
 * The pure core against AWS's documented limits (lambdas/shared/aws-limits.ts), with the worst real
 * inputs and hostile ones. The emulators accept requests that AWS refuses, so these edges are
 * checked here, against the documented numbers, not against an emulator.
 */
/* eslint-disable no-control-regex -- these tests look for control characters */
import { formatAlert, snsMessage, type AlertMessage } from '../../lambdas/shared/alert-message';
import { DEFAULT_ALERT_RULES, type AlertRule } from '../../lambdas/shared/alert-rules';
import {
  DYNAMODB_BATCH_WRITE_MAX_BYTES,
  DYNAMODB_BATCH_WRITE_MAX_ITEMS,
  DYNAMODB_ITEM_MAX_BYTES,
  DYNAMODB_PARTITION_KEY_MAX_BYTES,
  DYNAMODB_SORT_KEY_MAX_BYTES,
  GLACIER_VAULT_NAME_MAX_CHARS,
  SNS_ATTRIBUTE_NAME_PATTERN,
  SNS_MAX_ATTRIBUTES,
  SNS_MESSAGE_MAX_BYTES,
  SNS_SUBJECT_MAX_CHARS,
} from '../../lambdas/shared/aws-limits';
import {
  buildCaseLinkItems,
  buildEventItem,
  estimateItemSize,
  recordFromItem,
  type CaseLinkItem,
  type EventItem,
} from '../../lambdas/shared/event-item';
import { fitKey, INDEXES, keys, PARTITION_KEY, SORT_KEY, TIME_KEY } from '../../lambdas/shared/schema';
import { failedDeleteVault, glacierRecord, supportRecord, userIdentity } from '../harness/factories';

const options = { logBucket: 'trail-bucket', logKey: 'AWSLogs/1/x.json.gz', indexedAt: new Date() };
const deleteVault = DEFAULT_ALERT_RULES[0] as AlertRule;

/** A 255-character vault name (Glacier's longest) of the given character. */
const longVault = (c = 'v') => c.repeat(GLACIER_VAULT_NAME_MAX_CHARS);
/** The longest role session ARN: a 512-character path, a 64-character role name and session name. */
const longArn = `arn:aws-us-gov:sts::999999999999:assumed-role/${'p/'.repeat(255)}${'r'.repeat(64)}/${'s'.repeat(64)}`;
const HOSTILE = '\u001b]0;owned\u0007\u001b[2J\u001b[31mred\u001b[0m\r\nFAKE LINE\u202e\u0000\u009b';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** Every way SNS Publish would refuse the alert; empty when it would take it. */
function snsViolations(alert: AlertMessage): string[] {
  const problems: string[] = [];
  const { subject } = alert;
  if (subject.length < 1 || subject.length > SNS_SUBJECT_MAX_CHARS)
    problems.push(`subject of ${subject.length}`);
  if (!/^[\x20-\x7e]*$/.test(subject)) problems.push('subject not printable ASCII');
  if (!/^[A-Za-z0-9\p{P}]/u.test(subject))
    problems.push('subject does not begin with a letter, number or punctuation');
  const attributes = Object.entries(alert.attributes);
  if (attributes.length > SNS_MAX_ATTRIBUTES) problems.push('too many attributes');
  const published = snsMessage(alert);
  if (published.MessageStructure === 'json') {
    // SNS's per-protocol JSON: an object of strings with a default entry.
    const parsed = JSON.parse(published.Message) as Record<string, unknown>;
    if (typeof parsed.default !== 'string') problems.push('no default entry');
    if (!Object.values(parsed).every((v) => typeof v === 'string')) problems.push('entry not a string');
  } else problems.push('no per-protocol message (chat notification missing)');
  let size = bytes(published.Message);
  for (const [name, value] of attributes) {
    if (!SNS_ATTRIBUTE_NAME_PATTERN.test(name)) problems.push(`attribute name ${name}`);
    if (value === '') problems.push(`empty attribute ${name}`);
    size += bytes(name) + bytes('String') + bytes(value);
  }
  if (alert.body === '') problems.push('empty message');
  if (size > SNS_MESSAGE_MAX_BYTES) problems.push(`message of ${size} bytes`);
  return problems;
}

/** Every way DynamoDB would refuse the item; empty when it would take it. */
function dynamoViolations(item: EventItem | CaseLinkItem): string[] {
  const problems: string[] = [];
  const record = item as unknown as Record<string, unknown>;
  const partitionKeys = [PARTITION_KEY, ...Object.values(INDEXES).map((index) => index.partitionKey)];
  for (const name of [...partitionKeys, SORT_KEY, TIME_KEY]) {
    const value = record[name];
    if (value === undefined && name !== PARTITION_KEY && name !== SORT_KEY) continue;
    if (typeof value !== 'string' || value === '') {
      problems.push(`${name} empty or not a string`);
      continue;
    }
    const max = partitionKeys.includes(name) ? DYNAMODB_PARTITION_KEY_MAX_BYTES : DYNAMODB_SORT_KEY_MAX_BYTES;
    if (bytes(value) > max) problems.push(`${name} of ${bytes(value)} bytes`);
  }
  if (estimateItemSize(item) > DYNAMODB_ITEM_MAX_BYTES)
    problems.push(`item of ${estimateItemSize(item)} bytes`);
  return problems;
}

describe('alerts within SNS Publish limits', () => {
  test('the subject limit is "less than 100 characters"', () => {
    expect(SNS_SUBJECT_MAX_CHARS).toBe(99);
  });

  test.each<[string, Record<string, unknown>]>([
    ['a 255-character vault name', { requestParameters: { accountId: '-', vaultName: longVault() } }],
    [
      'a 255-character unicode vault name',
      { requestParameters: { accountId: '-', vaultName: longVault('сейф') } },
    ],
    ['control characters in the vault name', { requestParameters: { accountId: '-', vaultName: HOSTILE } }],
    ['a long error code', { errorCode: 'E'.repeat(500) }],
    ['a 300 KB error message', { errorMessage: 'm'.repeat(300_000) }],
    ['a 300 KB user agent of emoji', { userAgent: '🔥'.repeat(75_000) }],
    ['the longest role session ARN', { userIdentity: userIdentity('AssumedRole', { arn: longArn }) }],
    ['an empty region and event name', { awsRegion: '', eventName: 'DeleteVault' }],
  ])('%s: SNS would take the alert', (_name, overrides) => {
    // Prepare
    const item = buildEventItem(failedDeleteVault(overrides), options);

    // Act
    const alert = formatAlert(deleteVault, item);

    // Assess
    expect(snsViolations(alert)).toEqual([]);
  });

  test('a subject of exactly 99 characters is kept, one more is shortened', () => {
    // Prepare: "CRITICAL: Glacier vault deleted: " + name + " (999999999999, us-east-1)" is 59
    // characters + name.
    const fits = buildEventItem(
      glacierRecord('DeleteVault', { requestParameters: { vaultName: 'a'.repeat(40) } }),
      options,
    );
    const over = buildEventItem(
      glacierRecord('DeleteVault', { requestParameters: { vaultName: 'a'.repeat(41) } }),
      options,
    );

    // Act
    const [kept, shortened] = [
      formatAlert(deleteVault, fits).subject,
      formatAlert(deleteVault, over).subject,
    ];

    // Assess
    expect(kept).toHaveLength(99);
    expect(kept).toContain('a'.repeat(40));
    expect(shortened.length).toBeLessThanOrEqual(99);
    expect(shortened).toContain('...');
  });

  test('record text reaches the alert body escaped: no terminal sequence, no forged line', () => {
    // Prepare
    const item = buildEventItem(
      failedDeleteVault({
        userAgent: HOSTILE,
        errorMessage: HOSTILE,
        requestParameters: { vaultName: HOSTILE },
      }),
      options,
    );

    // Act
    const { body, subject, attributes } = formatAlert(deleteVault, item);

    // Assess
    expect(body).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(body.split('\n').filter((line) => line.startsWith('FAKE LINE'))).toEqual([]);
    expect(body).toContain('red\\r\\nFAKE LINE\\u202e\\u0000');
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(Object.values(attributes).join('')).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('items within DynamoDB limits', () => {
  test.each<[string, Record<string, unknown>]>([
    ['a 255-character vault name', { requestParameters: { accountId: '-', vaultName: longVault() } }],
    [
      'a 255-character 4-byte unicode vault name',
      { requestParameters: { accountId: '-', vaultName: longVault('𓂀') } },
    ],
    ['the longest role session ARN', { userIdentity: userIdentity('AssumedRole', { arn: longArn }) }],
    [
      'a 3,000-byte principal ARN (forged)',
      { userIdentity: userIdentity('AssumedRole', { arn: 'é'.repeat(1500) }) },
    ],
    ['a 5,000-character eventID (forged)', { eventID: 'x'.repeat(5000) }],
    ['a 2,000-character eventTime (forged)', { eventTime: `2026-01-01T00:00:00Z${'z'.repeat(2000)}` }],
    [
      'a 300 KB user agent and error message',
      { userAgent: 'u'.repeat(300_000), errorMessage: 'm'.repeat(300_000) },
    ],
    [
      'empty strings everywhere they may be',
      { eventID: '', eventSource: '', eventName: '', awsRegion: '', recipientAccountId: '' },
    ],
    ['control characters in keys', { eventID: HOSTILE, requestParameters: { vaultName: HOSTILE } }],
  ])('%s: DynamoDB would take the item', (_name, overrides) => {
    // Act
    const item = buildEventItem(glacierRecord('DeleteVault', overrides), options);

    // Assess
    expect(dynamoViolations(item)).toEqual([]);
  });

  test('a forged long key is shortened the same way every time, and distinct values stay distinct', () => {
    // Prepare
    const a = `PRINCIPAL#${'a'.repeat(3000)}`;
    const b = `PRINCIPAL#${'a'.repeat(2999)}b`;

    // Act
    const [fa, fa2, fb] = [fitKey(a, 2048), fitKey(a, 2048), fitKey(b, 2048)];

    // Assess
    expect(bytes(fa)).toBeLessThanOrEqual(2048);
    expect(fa).toBe(fa2);
    expect(fa).not.toBe(fb);
    expect(fitKey('PRINCIPAL#short', 2048)).toBe('PRINCIPAL#short');
    expect(fitKey('x'.repeat(2048), 2048)).toBe('x'.repeat(2048));
    expect(bytes(fitKey('é'.repeat(1100), 2048))).toBeLessThanOrEqual(2048);
    expect(fitKey('é'.repeat(1100), 2048)).not.toContain('\ufffd');
  });

  test('a record too large for the item is kept compressed or by reference, never cut', () => {
    // Prepare: 420 KB of text that does not compress much.
    const noise = Array.from({ length: 420_000 }, (_, k) => String.fromCharCode(33 + ((k * 7919) % 94))).join(
      '',
    );
    const record = glacierRecord('DeleteVault', { additionalEventData: { blob: noise } });

    // Act
    const item = buildEventItem(record, options);

    // Assess
    expect(dynamoViolations(item)).toEqual([]);
    expect(item.recordStorage).not.toBe('inline');
    const back = recordFromItem(item);
    if (back.storage === 'pointer') expect(back.ref.eventID).toBe(item.eventID);
    else expect(back.record).toEqual(record);
  });

  test('a batch of 25 of the largest items is within BatchWriteItem limits', () => {
    expect(DYNAMODB_BATCH_WRITE_MAX_ITEMS * DYNAMODB_ITEM_MAX_BYTES).toBeLessThanOrEqual(
      DYNAMODB_BATCH_WRITE_MAX_BYTES,
    );
  });
});

describe('DescribeCases with several case ids', () => {
  const ids = ['case-1-a', 'case-2-b', 'case-3-c'];

  test('is found by every case it names: the event under the first, a link under each other', () => {
    // Prepare
    const record = supportRecord('DescribeCases', { requestParameters: { caseIdList: ids } });

    // Act
    const item = buildEventItem(record, options);
    const links = buildCaseLinkItems(item);

    // Assess
    expect(item.resourcePk).toBe(keys.supportCase('case-1-a'));
    expect(links.map((link) => link.resourcePk)).toEqual([
      keys.supportCase('case-2-b'),
      keys.supportCase('case-3-c'),
    ]);
    for (const link of links) {
      expect(link.eventID).toBe(item.eventID);
      expect(link[TIME_KEY]).toBe(item[TIME_KEY]);
      expect(link[PARTITION_KEY]).toBe(item[PARTITION_KEY]);
      expect(link[SORT_KEY]).not.toBe(item[SORT_KEY]);
      // Only in the resource index: the other indexes hold the event once.
      expect(link).not.toHaveProperty('principalPk');
      expect(link).not.toHaveProperty('actionPk');
      expect(link).not.toHaveProperty('locationPk');
      expect(link).not.toHaveProperty('record');
      expect(dynamoViolations(link)).toEqual([]);
    }
    expect(links.map((link) => link.caseId)).toEqual(['case-2-b', 'case-3-c']);
  });

  test('one case id, a repeated id, or none: no links', () => {
    // Prepare
    const one = supportRecord('DescribeCases', { requestParameters: { caseIdList: ['case-1-a'] } });
    const repeated = supportRecord('DescribeCases', {
      requestParameters: { caseIdList: ['case-1-a', 'case-1-a'] },
    });
    const none = supportRecord('DescribeCases', { requestParameters: { caseIdList: [] } });

    // Act
    const counts = [one, repeated, none].map((r) => buildCaseLinkItems(buildEventItem(r, options)).length);

    // Assess
    expect(counts).toEqual([0, 0, 0]);
  });

  test('a forged list of 10,000 ids makes at most 99 links', () => {
    // Prepare
    const many = Array.from({ length: 10_000 }, (_, k) => `case-${k}`);
    const record = supportRecord('DescribeCases', { requestParameters: { caseIdList: many } });

    // Act
    const item = buildEventItem(record, options);

    // Assess
    expect(buildCaseLinkItems(item)).toHaveLength(99);
    expect(dynamoViolations(item)).toEqual([]);
  });
});
