/**
 * Human-readable output never passes record text to the terminal as it is: escape sequences are
 * removed and control characters escaped. `--json` stays exact (its encoder escapes them).
 */
import { buildEventItem } from '../../lambdas/shared/event-item';
import { safeLines, safeText } from '../../lambdas/shared/safe-text';
import { formatRedriveReport } from '../../cli/commands/redrive';
import { formatJsonLine, formatTable } from '../../cli/format';
import { main } from '../../cli/main';
import { glacierRecord, userIdentity } from '../harness/factories';

/** Sets the window title, clears the screen, plants a hyperlink, and forges a line. */
const HOSTILE =
  'x\u001b]0;pwned\u0007\u001b[2J\u001b]8;;https://evil.example\u001b\\click\u001b]8;;\u001b\\\r\nFAKE\u202e\u009b31m\u0000';

/** Any byte a terminal acts on: C0 controls but the line break, DEL, C1, bidi overrides. */
// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const ACTIVE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const options = {
  logBucket: 'b',
  logKey: 'AWSLogs/1/x.json.gz',
  indexedAt: new Date('2026-11-20T10:16:00Z'),
};

describe('safeText', () => {
  test.each<[string, string]>([
    ['plain text is unchanged', 'arn:aws:iam::1:user/jane doe ünïcode 🔥'],
    ['a colour sequence is removed', '\u001b[31mred\u001b[0m'],
    ['a window title (OSC, BEL) is removed', '\u001b]0;title\u0007after'],
    ['a lone ESC is escaped', 'a\u001bb'],
    ['line breaks and tabs are escaped', 'a\r\nb\tc'],
    ['C1 controls and bidi overrides are escaped', 'a\u009b1m\u202egnp.exe'],
  ])('%s', (_name, input) => {
    // Act
    const out = safeText(input);

    // Assess
    expect(out).not.toMatch(ACTIVE);
    expect(out).not.toContain('\n');
  });

  test('escapes read back as what they were', () => {
    expect(safeText('a\u001b[31mb')).toBe('ab');
    expect(safeText('a\r\nb\u0000\u202e')).toBe('a\\r\\nb\\u0000\\u202e');
    expect(safeLines('one\ntwo\u0007')).toBe('one\ntwo\\u0007');
  });
});

describe('CLI output with hostile record text', () => {
  const item = buildEventItem(
    glacierRecord('DeleteVault', {
      userIdentity: userIdentity('IAMUser', { arn: `arn:aws:iam::999999999999:user/${HOSTILE}` }),
      requestParameters: { accountId: '-', vaultName: HOSTILE },
      sourceIPAddress: HOSTILE,
      errorCode: HOSTILE,
    }),
    options,
  );

  test('the query table escapes every cell: one line per event, nothing active', () => {
    // Act
    const table = formatTable([item]);

    // Assess
    expect(table).not.toMatch(ACTIVE);
    expect(table.split('\n').filter((line) => line !== '')).toHaveLength(2);
    expect(table).toContain('\\r\\nFAKE\\u202e');
  });

  test('--json keeps the text exact, and escaped by the JSON encoder', () => {
    // Act
    const line = formatJsonLine(item);

    // Assess
    expect(line).not.toMatch(ACTIVE);
    expect((JSON.parse(line) as { vaultName: string }).vaultName).toBe(HOSTILE);
  });

  test('the redrive report escapes keys and reasons taken from queued messages', () => {
    // Act
    const report = formatRedriveReport(
      {
        dryRun: false,
        outcomes: [
          {
            queue: 'failure-destination',
            messageId: 'm-1',
            kind: 'invocation-record',
            status: 'failed',
            keys: [`AWSLogs/${HOSTILE}.json.gz`],
            lastError: HOSTILE,
            reason: HOSTILE,
            failedFiles: [],
            eventsIndexed: {},
            alertsPublished: 0,
          },
        ],
        redriven: 0,
        stillFailing: 1,
        unrecognised: 0,
        truncated: false,
      },
      [{ role: 'failure-destination', url: 'https://sqs.us-east-1.amazonaws.com/1/q' }],
    );

    // Assess
    expect(report).not.toMatch(ACTIVE);
    expect(report.split('\n').some((line) => line.startsWith('FAKE'))).toBe(false);
  });

  test('an error message naming hostile text is printed escaped', async () => {
    // Prepare
    const out: string[] = [];
    const err: string[] = [];

    // Act
    const code = await main(
      [
        'node',
        'trail-index',
        'query',
        '--local',
        '--data',
        `/nonexistent/${HOSTILE}`,
        '--event',
        'DeleteVault',
      ],
      {
        writeOut: (text) => out.push(text),
        writeErr: (text) => err.push(text),
      },
    );

    // Assess
    expect(code).not.toBe(0);
    expect(err.join('')).not.toMatch(ACTIVE);
  });
});
