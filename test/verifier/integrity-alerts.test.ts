/**
 * Integrity alerts at the edges SNS enforces (aws-limits.ts): the subject, from folder names anyone
 * with write access to the bucket chooses, stays printable ASCII under 100 characters; attribute
 * values are non-empty and short; the body fits a message.
 */
import { SNS_SUBJECT_MAX_CHARS } from '../../lambdas/shared/aws-limits';
import { ALERT_BODY_MAX_BYTES } from '../../lambdas/shared/alert-message';
import { integrityAlert, type IntegrityAlertKind } from '../../lambdas/verifier/integrity-alerts';
import { REGION_NAME } from '../../lambdas/verifier/discover';

const KINDS: IntegrityAlertKind[] = [
  'digest-invalid',
  'digest-missing',
  'log-file-invalid',
  'log-file-missing',
  'digest-overdue',
  'chain-gap',
];

describe('integrityAlert', () => {
  test.each(KINDS)('%s: an ordinary alert names the account, region, object and rule', (kind) => {
    const alert = integrityAlert(kind, {
      accountId: '111122223333',
      region: 'eu-west-1',
      object: 's3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/01/x.json.gz',
      detail: "hash value doesn't match",
    });
    expect(alert.subject).toMatch(/^CloudTrail .+ \(111122223333, eu-west-1\)$/);
    expect(alert.ruleId).toBe(`integrity-${kind}`);
    expect(alert.eventID).toBe('s3://trail/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/12/01/x.json.gz');
    expect(alert.body).toMatch(new RegExp(`^Rule: +integrity-${kind} \\((critical|high)\\)$`, 'm'));
    expect(alert.attributes).toEqual(
      expect.objectContaining({ account: '111122223333', region: 'eu-west-1', outcome: 'failed' }),
    );
  });

  test('hostile names: the subject stays 1..99 printable ASCII, attributes bounded, body within the limit', () => {
    const hostile = `\u001b[31m${'é'.repeat(400)}\u202e\n`;
    for (const kind of KINDS) {
      const alert = integrityAlert(kind, {
        accountId: hostile,
        region: hostile,
        object: `s3://b/${'k'.repeat(300_000)}`,
        detail: hostile.repeat(100),
      });
      expect(alert.subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_CHARS);
      expect(alert.subject).toMatch(/^[A-Za-z][\x20-\x7e]*$/);
      for (const value of Object.values(alert.attributes)) {
        expect(value.length).toBeGreaterThan(0);
        expect(value.length).toBeLessThanOrEqual(256);
        expect([...value].some((c) => c.charCodeAt(0) < 0x20 || c === '\u202e')).toBe(false);
      }
      expect(Buffer.byteLength(alert.body)).toBeLessThanOrEqual(ALERT_BODY_MAX_BYTES);
      expect(alert.body).not.toContain('\u001b');
    }
  });
});

describe('region folder names', () => {
  test.each(['us-east-1', 'ap-southeast-2', 'us-gov-west-1', 'eu-isoe-west-1', 'il-central-1'])(
    'takes %s',
    (name) => expect(REGION_NAME.test(name)).toBe(true),
  );
  test.each(['', 'US-EAST-1', 'us-east', '../x', 'us-east-1/..', 'us-east-1\n'])('refuses %j', (name) =>
    expect(REGION_NAME.test(name)).toBe(false),
  );
});
