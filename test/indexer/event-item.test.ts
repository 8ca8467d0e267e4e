import { randomBytes } from 'node:crypto';
import {
  buildEventItem,
  estimateItemSize,
  extractCaseIds,
  extractPrincipal,
  ItemRecordError,
  MAX_ITEM_BYTES,
  recordFromItem,
} from '../../lambdas/shared/event-item';
import { keys } from '../../lambdas/shared/schema';
import {
  ACCOUNT,
  glacierRecord,
  seedGlacierRecords,
  seedSupportCreateCase,
  supportRecord,
  userIdentity,
  UserIdentityType,
} from '../harness/factories';

const options = {
  logBucket: 'trail-bucket',
  logKey: 'AWSLogs/x.json.gz',
  indexedAt: new Date('2026-11-21T00:00:00Z'),
};

describe('extractPrincipal', () => {
  test.each<[UserIdentityType, string, Record<string, unknown>]>([
    ['Root', `arn:aws:iam::${ACCOUNT}:root`, { mfaAuthenticated: true, accessKeyId: 'ASIAROOTEXAMPLE00001' }],
    ['IAMUser', `arn:aws:iam::${ACCOUNT}:user/janedoe`, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }],
    ['AssumedRole', `arn:aws:sts::${ACCOUNT}:assumed-role/Ops/ops-session`, { mfaAuthenticated: true }],
    ['Role', `arn:aws:iam::${ACCOUNT}:role/Ops`, {}],
    ['FederatedUser', `arn:aws:sts::${ACCOUNT}:federated-user/alice`, { mfaAuthenticated: false }],
    ['Directory', 'corp\\bob', {}],
    ['AWSAccount', 'account:111122223333', {}],
    ['AWSService', 'backup.amazonaws.com', {}],
    ['SAMLUser', 'bdGOnTesti4nkKkrCqm4Nqr9Ks8=:carol@example.com', {}],
    ['WebIdentityUser', 'accounts.google.com:dave-subject', {}],
    [
      'IdentityCenterUser',
      'arn:aws:identitystore::123456789012:identitystore/d-1234567890/user/906789a1-b0c1-70d2-e3f4-567890abcdef',
      {},
    ],
    ['Unknown', 'erin', {}],
  ])('%s is identified as %s', (type, principal, extra) => {
    // Prepare
    const record = glacierRecord('ListVaults', { userIdentity: userIdentity(type) });
    // Act
    const result = extractPrincipal(record);
    // Assess
    expect(result).toEqual(expect.objectContaining({ principal, principalType: type, ...extra }));
  });

  test('an identity with nothing but a principalId still has a principal', () => {
    // Act
    const result = extractPrincipal({ userIdentity: { type: 'Unknown', principalId: 'AIDAONLY' } });
    // Assess
    expect(result).toEqual({ principal: 'AIDAONLY', principalType: 'Unknown' });
  });

  test('a record without userIdentity is an unknown principal', () => {
    // Act
    const result = extractPrincipal({ eventName: 'x' });
    // Assess
    expect(result).toEqual({ principal: 'unknown', principalType: 'Unknown' });
  });
});

describe('extractCaseIds', () => {
  test.each([
    [
      'CreateCase answers with the id',
      seedSupportCreateCase(),
      ['case-111122223333-muen-2016-c3f2077e504940f2'],
    ],
    ['ResolveCase sends it', supportRecord('ResolveCase'), ['case-999999999999-muen-2026-0123456789abcdef']],
    [
      'DescribeCases sends a list',
      supportRecord('DescribeCases', { requestParameters: { caseIdList: ['case-1', 'case-2'] } }),
      ['case-1', 'case-2'],
    ],
    ['DescribeServices has none', supportRecord('DescribeServices', { requestParameters: {} }), []],
  ])('%s', (_, record, expected) => {
    // Act
    const ids = extractCaseIds(record);
    // Assess
    expect(ids).toEqual(expected);
  });
});

describe('buildEventItem', () => {
  test('a Glacier call is keyed by eventID and indexed by vault, principal, action and location', () => {
    // Prepare
    const record = seedGlacierRecords()[1] ?? {};
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item).toEqual({
      ...keys.event('cdd33060-4758-416a-b7b9-dafd3afcec90'),
      ts: '2014-12-10T19:05:15Z#cdd33060-4758-416a-b7b9-dafd3afcec90',
      resourcePk: keys.vault('999999999999', 'us-east-1', 'myVaultName'),
      principalPk: keys.principal('arn:aws:iam::999999999999:user/myUserName'),
      actionPk: keys.action('glacier.amazonaws.com', 'DeleteVault'),
      locationPk: keys.location('999999999999', 'us-east-1'),
      eventID: 'cdd33060-4758-416a-b7b9-dafd3afcec90',
      eventTime: '2014-12-10T19:05:15Z',
      eventSource: 'glacier.amazonaws.com',
      eventName: 'DeleteVault',
      awsRegion: 'us-east-1',
      recipientAccountId: '999999999999',
      principal: 'arn:aws:iam::999999999999:user/myUserName',
      principalType: 'IAMUser',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      sourceIPAddress: '127.0.0.1',
      userAgent: record.userAgent,
      vaultName: 'myVaultName',
      vaultAccountId: '999999999999',
      logBucket: 'trail-bucket',
      logKey: 'AWSLogs/x.json.gz',
      indexedAt: '2026-11-21T00:00:00.000Z',
      recordStorage: 'inline',
      record: JSON.stringify(record),
    });
  });

  test('an explicit Glacier account id is kept', () => {
    // Prepare
    const record = glacierRecord('DescribeVault', {
      requestParameters: { accountId: '111122223333', vaultName: 'v' },
    });
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item.resourcePk).toBe(keys.vault('111122223333', 'us-east-1', 'v'));
  });

  test('a support case call is indexed by case id', () => {
    // Act
    const item = buildEventItem(seedSupportCreateCase(), options);
    // Assess
    expect(item.resourcePk).toBe(keys.supportCase('case-111122223333-muen-2016-c3f2077e504940f2'));
    expect(item).not.toHaveProperty('vaultName');
  });

  test('a failed call carries its error', () => {
    // Prepare
    const record = glacierRecord('DeleteVault', { errorCode: 'AccessDenied', errorMessage: 'no' });
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item).toEqual(expect.objectContaining({ errorCode: 'AccessDenied', errorMessage: 'no' }));
  });

  test('the raw text of the record is kept exactly', () => {
    // Prepare
    const raw = '{"eventID":"e1","eventSource":"glacier.amazonaws.com",  "eventName":"ListVaults"}';
    // Act
    const item = buildEventItem(JSON.parse(raw) as Record<string, unknown>, { ...options, raw });
    // Assess
    expect(item.record).toBe(raw);
  });

  test('retention sets the TTL from the event time', () => {
    // Prepare
    const record = glacierRecord('ListVaults', { eventTime: '2026-01-01T00:00:00Z' });
    // Act
    const item = buildEventItem(record, { ...options, retentionDays: 30 });
    // Assess
    expect(item.expiresAt).toBe(Date.parse('2026-01-31T00:00:00Z') / 1000);
  });

  test('without retention there is no TTL', () => {
    // Act
    const item = buildEventItem(glacierRecord('ListVaults'), options);
    // Assess
    expect(item).not.toHaveProperty('expiresAt');
  });

  test('a record without an eventID gets a stable one from its text', () => {
    // Prepare
    const record = glacierRecord('ListVaults', { eventID: undefined });
    // Act
    const [first, second] = [buildEventItem(record, options), buildEventItem(record, options)];
    // Assess
    expect(first.eventID).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(second.pk).toBe(first.pk);
  });
});

describe('records too large for an item', () => {
  test('a 300 KB record is kept inline', () => {
    // Prepare
    const record = glacierRecord('SetVaultAccessPolicy', {
      requestParameters: { policy: 'p'.repeat(300 * 1024) },
    });
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item.recordStorage).toBe('inline');
    expect(estimateItemSize(item)).toBeLessThan(MAX_ITEM_BYTES);
    expect(recordFromItem(item)).toEqual({ storage: 'inline', record });
  });

  test('a record over 400 KB that compresses is stored gzipped and decodes back', () => {
    // Prepare
    const record = glacierRecord('SetVaultAccessPolicy', {
      requestParameters: { policy: 'p'.repeat(500 * 1024) },
    });
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item.recordStorage).toBe('gzip');
    expect(item).not.toHaveProperty('record');
    expect(recordFromItem(item)).toEqual({ storage: 'gzip', record });
  });

  test('a record that does not fit even compressed becomes a pointer to its log file', () => {
    // Prepare
    const record = glacierRecord('SetVaultAccessPolicy', {
      requestParameters: { policy: randomBytes(450 * 1024).toString('base64') },
    });
    // Act
    const item = buildEventItem(record, options);
    // Assess
    expect(item.recordStorage).toBe('pointer');
    expect(estimateItemSize(item)).toBeLessThan(MAX_ITEM_BYTES);
    expect(recordFromItem(item)).toEqual({
      storage: 'pointer',
      ref: { bucket: 'trail-bucket', key: 'AWSLogs/x.json.gz', eventID: record.eventID },
    });
  });

  test('an item without a record is an error, not an empty record', () => {
    // Act
    const read = () => recordFromItem({ eventID: 'e' });
    // Assess
    expect(read).toThrow(ItemRecordError);
  });
});

describe('estimateItemSize', () => {
  test("counts names and values by DynamoDB's rules", () => {
    // Act
    const size = estimateItemSize({
      ab: 'é',
      n: 1,
      b: true,
      bin: new Uint8Array(10),
      list: ['x'],
      map: { k: 'v' },
    });
    // Assess: 2+2, 1+21, 1+1, 3+10, 4+(3+1+1), 3+(3+2+1)
    expect(size).toBe(4 + 22 + 2 + 13 + 9 + 9);
  });
});
