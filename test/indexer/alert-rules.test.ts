import {
  AlertRule,
  DEFAULT_ALERT_RULES,
  formatAlert,
  matchingRules,
} from '../../lambdas/indexer/alert-rules';
import { buildEventItem } from '../../lambdas/shared/event-item';
import {
  failedDeleteVault,
  glacierRecord,
  seedGlacierRecords,
  supportRecord,
  userIdentity,
} from '../harness/factories';

const options = { logBucket: 'trail-bucket', logKey: 'AWSLogs/1/x.json.gz', indexedAt: new Date() };
const deleteVault = DEFAULT_ALERT_RULES[0] as AlertRule;

describe('matchingRules', () => {
  test('the default rules alert on DeleteVault only', () => {
    // Prepare
    const records = [...seedGlacierRecords(), supportRecord('CreateCase'), glacierRecord('AbortVaultLock')];
    // Act
    const matched = records.map((r) => matchingRules(DEFAULT_ALERT_RULES, r).map((rule) => rule.id));
    // Assess
    expect(matched).toEqual([[], ['glacier-delete-vault'], [], [], [], []]);
  });

  test('a failed DeleteVault matches too', () => {
    // Act
    const matched = matchingRules(DEFAULT_ALERT_RULES, failedDeleteVault());
    // Assess
    expect(matched).toEqual([deleteVault]);
  });

  test('a rule is one line of data, and a condition narrows it', () => {
    // Prepare
    const rules: AlertRule[] = [
      ...DEFAULT_ALERT_RULES,
      { id: 'glacier-vault-lock', eventSource: 'glacier.amazonaws.com', eventNames: ['AbortVaultLock'] },
      {
        id: 'root-policy-delete',
        eventSource: 'glacier.amazonaws.com',
        eventNames: ['DeleteVaultAccessPolicy'],
        condition: (record) => (record.userIdentity as { type?: string } | undefined)?.type === 'Root',
      },
    ];
    const byRoot = glacierRecord('DeleteVaultAccessPolicy', { userIdentity: userIdentity('Root') });
    const byUser = glacierRecord('DeleteVaultAccessPolicy');
    // Act
    const matched = [glacierRecord('AbortVaultLock'), byRoot, byUser].map((r) =>
      matchingRules(rules, r).map((rule) => rule.id),
    );
    // Assess
    expect(matched).toEqual([['glacier-vault-lock'], ['root-policy-delete'], []]);
  });
});

describe('formatAlert', () => {
  test('a deleted vault: subject, attributes and a body that says who, when, where and which file', () => {
    // Prepare
    const item = buildEventItem(seedGlacierRecords()[1] ?? {}, options);
    // Act
    const alert = formatAlert(deleteVault, item);
    // Assess
    expect(alert.subject).toBe('Glacier vault deleted: myVaultName (999999999999, us-east-1)');
    expect(alert.attributes).toEqual({
      eventName: 'DeleteVault',
      account: '999999999999',
      region: 'us-east-1',
      outcome: 'succeeded',
    });
    expect(alert.body).toContain('Who:           arn:aws:iam::999999999999:user/myUserName');
    expect(alert.body).toContain('Identity type: IAMUser');
    expect(alert.body).toContain('MFA:           not reported');
    expect(alert.body).toContain('Access key id: AKIAIOSFODNN7EXAMPLE');
    expect(alert.body).toContain('When:          2014-12-10T19:05:15Z');
    expect(alert.body).toContain('Source IP:     127.0.0.1');
    expect(alert.body).toContain('User agent:    aws-sdk-java/1.9.6');
    expect(alert.body).toContain('Log file:      s3://trail-bucket/AWSLogs/1/x.json.gz');
  });

  test('a failed attempt says FAILED with the error code in the subject and the message in the body', () => {
    // Prepare
    const item = buildEventItem(failedDeleteVault({ errorCode: 'AccessDenied' }), options);
    // Act
    const alert = formatAlert(deleteVault, item);
    // Assess
    expect(alert.subject).toBe(
      'Glacier vault deletion attempt FAILED (AccessDenied): audit-vault (999999999999, us-east-1)',
    );
    expect(alert.attributes.outcome).toBe('failed');
    expect(alert.body).toContain('Outcome:       FAILED: AccessDenied - Vault not empty');
  });

  test('a subject stays under 100 printable ASCII characters (at most 99)', () => {
    // Prepare
    const record = glacierRecord('DeleteVault', {
      requestParameters: { accountId: '-', vaultName: `сейф-${'v'.repeat(200)}` },
      errorCode: 'E'.repeat(120),
    });
    // Act
    const { subject } = formatAlert(deleteVault, buildEventItem(record, options));
    // Assess
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject).toMatch(
      /^Glacier vault deletion attempt FAILED \(E+\.\.\.\): \?+-v+\.\.\. \(999999999999, us-east-1\)$/,
    );
  });

  test('a rule without its own wording is named after the service and action', () => {
    // Prepare
    const rule: AlertRule = {
      id: 'lock',
      eventSource: 'glacier.amazonaws.com',
      eventNames: ['AbortVaultLock'],
    };
    // Act
    const alert = formatAlert(rule, buildEventItem(glacierRecord('AbortVaultLock'), options));
    // Assess
    expect(alert.subject).toBe('Glacier AbortVaultLock: audit-vault (999999999999, us-east-1)');
  });
});
