import {
  formatAlert,
  messageFor,
  queryLine,
  shellQuote,
  snsMessage,
} from '../../lambdas/shared/alert-message';
import { type AlertRule, DEFAULT_ALERT_RULES } from '../../lambdas/shared/alert-rules';
import { buildEventItem } from '../../lambdas/shared/event-item';
import { failedDeleteVault, glacierRecord, seedGlacierRecords, supportRecord } from '../harness/factories';

const options = { logBucket: 'trail-bucket', logKey: 'AWSLogs/1/x.json.gz', indexedAt: new Date() };
/** The parts of a chat notification the tests read. */
interface Chat {
  content: { title: string; description: string; nextSteps: string[] };
}

const deleteVault = DEFAULT_ALERT_RULES[0] as AlertRule;

describe('formatAlert', () => {
  test('a deleted vault: subject, attributes and a body that says who, when, where and which file', () => {
    // Prepare
    const item = buildEventItem(seedGlacierRecords()[1] ?? {}, options);
    // Act
    const alert = formatAlert(deleteVault, item);
    // Assess
    expect(alert.subject).toBe('CRITICAL: Glacier vault deleted: myVaultName (999999999999, us-east-1)');
    expect(alert.attributes).toEqual({
      eventName: 'DeleteVault',
      account: '999999999999',
      region: 'us-east-1',
      outcome: 'succeeded',
      severity: 'critical',
      rule: 'glacier-delete-vault',
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
      'CRITICAL: Glacier vault deletion FAILED (AccessDenied): audit-vault (999999999999, us-east-1)',
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
      /^CRITICAL: Glacier vault deletion FAILED \(E+\.\.\.\): \?+-v+\.\.\. \(999999999999, us-east-1\)$/,
    );
  });

  test('a rule without its own wording is named after the service and action', () => {
    // Prepare
    const rule: AlertRule = {
      id: 'lock',
      severity: 'medium',
      description: 'A vault lock was aborted.',
      source: 'test',
      next: 'Look.',
      eventSource: 'glacier.amazonaws.com',
      eventNames: ['AbortVaultLock'],
    };
    // Act
    const alert = formatAlert(rule, buildEventItem(glacierRecord('AbortVaultLock'), options));
    // Assess
    expect(alert.subject).toBe('Glacier AbortVaultLock: audit-vault (999999999999, us-east-1)');
  });

  test('the body says what happened, what to do next, and the query that shows the activity around it', () => {
    // Prepare
    const item = buildEventItem(seedGlacierRecords()[1] ?? {}, options);
    // Act
    const { body } = formatAlert(deleteVault, item);
    // Assess
    expect(body.split('\n')[0]).toBe('A Glacier vault was deleted, or someone tried to delete one.');
    expect(body).toContain('Rule:          glacier-delete-vault (critical)');
    expect(body).toContain('What to do: Check the vault');
    expect(body).toContain(
      'trail-index query --vault myVaultName --account 999999999999 --region us-east-1 --since 2014-12-10T18:05:15.000Z --until 2014-12-10T20:05:15.000Z',
    );
  });

  test('from EventBridge, the body says the log file is still to come', () => {
    // Prepare
    const { logBucket: _b, logKey: _k, ...facts } = buildEventItem(failedDeleteVault(), options);
    // Act
    const { body } = formatAlert(deleteVault, facts, { path: 'eventbridge' });
    // Assess
    expect(body).toContain('Log file:      not delivered yet (alerted from EventBridge)');
    expect(body).toContain('Sent from EventBridge seconds after the call');
  });
});

describe('per-protocol message', () => {
  test('email and default get the text; https (chat) gets a custom notification', () => {
    // Prepare
    const alert = formatAlert(deleteVault, buildEventItem(failedDeleteVault(), options));
    // Act
    const published = snsMessage(alert);
    // Assess
    expect(published.MessageStructure).toBe('json');
    expect(messageFor('email', published.Message)).toBe(alert.body);
    expect(messageFor('sqs', published.Message)).toBe(alert.body);
    const chat = JSON.parse(messageFor('https', published.Message)) as Chat;
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: { textType: 'client-markdown' },
      metadata: { eventType: 'glacier-delete-vault' },
    });
    expect(chat.content.title).toBe('CRITICAL: Glacier vault deletion FAILED: audit-vault');
    expect(chat.content.description).toContain('*Who:* `arn:aws:iam::999999999999:user/');
    expect(chat.content.nextSteps[1]).toMatch(/^`trail-index query --vault audit-vault /);
  });

  test('record values cannot format or link the chat message', () => {
    // Prepare
    const record = failedDeleteVault({
      requestParameters: { accountId: '-', vaultName: '*x* <https://e.example|click> `y`' },
    });
    // Act
    const chat = JSON.parse(formatAlert(deleteVault, buildEventItem(record, options)).chat ?? '{}') as Chat;
    // Assess
    expect(chat.content.description).toContain("*Vault:* `*x* &lt;https://e.example|click&gt; 'y'`");
    expect(chat.content.title).toBe(
      "CRITICAL: Glacier vault deletion FAILED: 'x' &lt;https://e.example|click&gt; 'y'",
    );
  });

  test('plain text passes through messageFor unchanged', () => {
    expect(messageFor('email', 'hello')).toBe('hello');
    expect(messageFor('email', '{"not":"sns json"}')).toBe('{"not":"sns json"}');
  });
});

describe('query line', () => {
  test('values a shell would read otherwise are single-quoted', () => {
    expect(shellQuote('audit-vault')).toBe('audit-vault');
    expect(shellQuote("it's $(rm -rf)")).toBe(`'it'\\''s $(rm -rf)'`);
  });

  test("without a vault, the caller's activity", () => {
    // Prepare
    const item = buildEventItem(supportRecord('CreateCase'), options);
    // Act
    const line = queryLine(item, item.recipientAccountId);
    // Assess
    expect(line).toMatch(/^trail-index query --principal arn:aws:iam::999999999999:user\/\S+ --since /);
  });
});
