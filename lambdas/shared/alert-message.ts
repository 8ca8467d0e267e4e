/**
 * The alert a rule's match produces, for people: a plain-text body for email (and every protocol
 * without its own entry), a custom notification that Amazon Q Developer in chat applications (AWS
 * Chatbot) renders in Slack or Teams, a subject within SNS's rules, and message attributes for
 * subscription filter policies. Every value from a record is made safe to display first.
 */
import { SNS_MESSAGE_MAX_BYTES, SNS_SUBJECT_MAX_CHARS } from './aws-limits';
import type { AlertRule, Severity } from './alert-rules';
import type { EventItem } from './event-item';
import { safeText } from './safe-text';

export interface AlertMessage {
  readonly ruleId: string;
  /** What the exactly-once marker is keyed by, with the rule: the event's id, or what the alert is about. */
  readonly eventID: string;
  /** 1 to 99 printable ASCII characters (SNS Publish's Subject rules). */
  readonly subject: string;
  /** Plain text: email, and every protocol without its own entry. */
  readonly body: string;
  /** A custom notification for Amazon Q Developer in chat applications (JSON text), if any. */
  readonly chat?: string;
  /** String attributes for SNS subscription filter policies (non-empty, at most 256 characters). */
  readonly attributes: Readonly<Record<string, string>> & {
    readonly severity: string;
    readonly rule: string;
    readonly account: string;
    readonly region: string;
  };
}

const SUBJECT_MAX = SNS_SUBJECT_MAX_CHARS;
/** A line of the body, value included: long enough for any real value, and 20 of them fit any message. */
const BODY_VALUE_MAX_CHARS = 4096;
/**
 * Room left in the message for its attributes (at most 10, SNS_MAX_ATTRIBUTES, of ≤ 256 characters,
 * names and types included).
 */
const ATTRIBUTES_ALLOWANCE_BYTES = 8 * 1024;
/** The whole Message, per-protocol JSON included. */
export const ALERT_MESSAGE_MAX_BYTES = SNS_MESSAGE_MAX_BYTES - ATTRIBUTES_ALLOWANCE_BYTES;
/**
 * The plain-text body. It appears twice in the per-protocol JSON (`default` and `email`), and JSON
 * escaping at most doubles text that safeText has already cleaned (a quote or backslash takes two
 * bytes), so 4 × 48 KB plus the chat entry stays inside {@link ALERT_MESSAGE_MAX_BYTES}.
 */
export const ALERT_BODY_MAX_BYTES = 48 * 1024;
/** The chat notification's JSON text (escaped once more inside the message: ≤ 2 × this). */
const CHAT_MAX_BYTES = 12 * 1024;
/** The chat description: short enough to read in a channel; the email has everything. */
const CHAT_DESCRIPTION_MAX_CHARS = 3000;
/** Each attribute value: what subscription filter policies match on, never long in real events. */
const ATTRIBUTE_VALUE_MAX_CHARS = 256;

/** SNS subjects must be ASCII without control characters. */
export function asciiSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** A body value: terminal-safe, on one line, and bounded. */
export function bodyValue(text: string): string {
  const safe = safeText(text);
  return safe.length <= BODY_VALUE_MAX_CHARS
    ? safe
    : `${safe.slice(0, BODY_VALUE_MAX_CHARS)}... [${safe.length - BODY_VALUE_MAX_CHARS} more characters in the record]`;
}

/** An attribute value: non-empty (SNS refuses empty values), terminal-safe and bounded. */
export function attributeValue(text: string): string {
  const safe = safeText(text).slice(0, ATTRIBUTE_VALUE_MAX_CHARS);
  return safe === '' ? 'unknown' : safe;
}

/** How the services the default rules watch are written; others are capitalised. */
const SERVICE_NAMES: Readonly<Record<string, string>> = {
  cloudtrail: 'CloudTrail',
  s3: 'S3',
  kms: 'KMS',
  sns: 'SNS',
  dynamodb: 'DynamoDB',
  events: 'EventBridge',
};

function shortService(eventSource: string): string {
  const name = eventSource.replace(/\.amazonaws\.com$/, '');
  return SERVICE_NAMES[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
}

/** An ARN's last part (`…:trail/name` → `name`), for a subject; the body has it whole. */
function shortResource(value: string): string {
  if (!value.startsWith('arn:')) return value;
  const at = Math.max(value.lastIndexOf('/'), value.lastIndexOf(':'));
  return value.slice(at + 1) || value;
}

/** What an alert says about the call: an indexed event's summary, or the same from EventBridge. */
export type AlertFacts = Pick<
  EventItem,
  | 'eventID'
  | 'eventTime'
  | 'eventSource'
  | 'eventName'
  | 'awsRegion'
  | 'recipientAccountId'
  | 'principal'
  | 'principalType'
  | 'mfaAuthenticated'
  | 'accessKeyId'
  | 'sourceIPAddress'
  | 'userAgent'
  | 'errorCode'
  | 'errorMessage'
  | 'vaultName'
  | 'vaultAccountId'
  | 'caseId'
> & {
  /** The log file, when the alert comes from one. */
  readonly logBucket?: string;
  readonly logKey?: string;
};

/** Where the alert came from: a log file, or EventBridge seconds after the call. */
export type AlertPath = 'log-file' | 'eventbridge';

export function formatAlert(
  rule: AlertRule,
  item: AlertFacts,
  context: { resource?: string; path?: AlertPath } = {},
): AlertMessage {
  const failed = item.errorCode !== undefined;
  const account = item.vaultAccountId ?? item.recipientAccountId;
  const resource =
    item.vaultName ??
    (context.resource === undefined ? undefined : shortResource(context.resource)) ??
    item.caseId ??
    item.eventName;
  const service = shortService(item.eventSource);
  const subject = failed
    ? fitSubject(
        `${severityTag(rule.severity)}${rule.title?.failed ?? `${service} ${item.eventName} attempt FAILED`} (`,
        item.errorCode ?? '',
        '): ',
        resource,
        ` (${account}, ${item.awsRegion})`,
      )
    : fitSubject(
        `${severityTag(rule.severity)}${rule.title?.succeeded ?? `${service} ${item.eventName}`}: `,
        '',
        '',
        resource,
        ` (${account}, ${item.awsRegion})`,
      );
  const query = queryLine(item, account);
  const lines = factLines(rule, item, failed, account, context.resource);
  const headline = failed
    ? `${rule.description} The ${item.eventName} call FAILED: an attempt is still a signal.`
    : rule.description;
  return finishAlert({
    ruleId: rule.id,
    eventID: item.eventID,
    subject,
    severity: rule.severity,
    headline,
    lines,
    next: rule.next,
    query,
    attributes: {
      eventName: item.eventName,
      account,
      region: item.awsRegion,
      outcome: failed ? 'failed' : 'succeeded',
    },
    chatTitle: `${severityTag(rule.severity)}${rule.title?.[failed ? 'failed' : 'succeeded'] ?? `${service} ${item.eventName}${failed ? ' attempt FAILED' : ''}`}: ${resource}`,
    keywords: [rule.severity, rule.id, item.eventName, account, item.awsRegion],
    ...(context.path === undefined ? {} : { path: context.path }),
  });
}

function severityTag(severity: Severity): string {
  return severity === 'critical' ? 'CRITICAL: ' : severity === 'high' ? 'HIGH: ' : '';
}

function factLines(
  rule: AlertRule,
  item: AlertFacts,
  failed: boolean,
  account: string,
  resource: string | undefined,
): [string, string | undefined][] {
  const mfa = item.mfaAuthenticated === undefined ? 'not reported' : item.mfaAuthenticated ? 'yes' : 'no';
  return [
    [
      'Outcome',
      failed
        ? `FAILED: ${item.errorCode ?? ''}${item.errorMessage === undefined ? '' : ` - ${item.errorMessage}`}`
        : 'succeeded',
    ],
    ['Action', `${item.eventSource} ${item.eventName}`],
    ['Vault', item.vaultName],
    ['Resource', item.vaultName === undefined ? resource : undefined],
    ['Support case', item.caseId],
    ['Account', account],
    ['Region', item.awsRegion],
    ['Who', item.principal],
    ['Identity type', item.principalType],
    ['MFA', mfa],
    ['Access key id', item.accessKeyId],
    ['When', item.eventTime],
    ['Source IP', item.sourceIPAddress],
    ['User agent', item.userAgent],
    ['Event ID', item.eventID],
    [
      'Log file',
      item.logBucket === undefined || item.logKey === undefined
        ? 'not delivered yet (alerted from EventBridge)'
        : `s3://${item.logBucket}/${item.logKey}`,
    ],
    ['Rule', `${rule.id} (${rule.severity})`],
    ['Why this rule', rule.source],
  ];
}

/**
 * A `trail-index query` line that shows the activity around the call: the vault's, else the
 * caller's, from an hour before to an hour after. Values are shell-quoted.
 */
export function queryLine(item: AlertFacts, account: string): string {
  const time = Date.parse(item.eventTime);
  const range = Number.isFinite(time)
    ? ` --since ${new Date(time - 3_600_000).toISOString()} --until ${new Date(time + 3_600_000).toISOString()}`
    : '';
  const who =
    item.vaultName !== undefined
      ? `--vault ${shellQuote(item.vaultName)} --account ${shellQuote(account)} --region ${shellQuote(item.awsRegion)}`
      : `--principal ${shellQuote(item.principal)}`;
  return `trail-index query ${who}${range}`;
}

/** A word as POSIX shells read it literally: bare if plain, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The parts of an alert, from which the text, the chat notification and the attributes are made. */
export interface AlertParts {
  readonly ruleId: string;
  readonly eventID: string;
  readonly subject: string;
  readonly severity: Severity;
  readonly headline: string;
  readonly lines: readonly (readonly [string, string | undefined])[];
  readonly next: string;
  /** A command that shows more. */
  readonly query?: string;
  readonly attributes: { readonly account: string; readonly region: string } & Readonly<
    Record<string, string>
  >;
  readonly chatTitle: string;
  readonly keywords: readonly string[];
  readonly path?: AlertPath;
}

export function finishAlert(parts: AlertParts): AlertMessage {
  const present = parts.lines.filter((line): line is [string, string] => line[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length)) + 2;
  const text = [
    bodyValue(parts.headline),
    '',
    ...present.map(([label, value]) => `${`${label}:`.padEnd(width)}${bodyValue(value)}`),
    '',
    `What to do: ${bodyValue(parts.next)}`,
    ...(parts.query === undefined ? [] : ['', 'Activity around it:', `  ${bodyValue(parts.query)}`]),
    ...(parts.path === 'eventbridge'
      ? ['', 'Sent from EventBridge seconds after the call; the log file will confirm it.']
      : []),
    '',
  ].join('\n');
  // 20 lines of at most ~4 KB each can reach the cap only with forged values; SNS would refuse a
  // larger message, and the alert would never arrive.
  const body = fitUtf8(text, ALERT_BODY_MAX_BYTES);
  return {
    ruleId: parts.ruleId,
    eventID: parts.eventID,
    subject: parts.subject,
    body,
    chat: chatNotification(parts, present),
    attributes: Object.fromEntries(
      Object.entries({ ...parts.attributes, severity: parts.severity, rule: parts.ruleId }).map(([k, v]) => [
        k,
        attributeValue(v),
      ]),
    ) as AlertMessage['attributes'],
  };
}

/**
 * The custom notification format of Amazon Q Developer in chat applications: version 1.0, source
 * `custom`, content with title, description, next steps and keywords, metadata with a summary.
 * https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 * Slack and Teams markdown have no escape character: `&`, `<` and `>` are written as entities (so
 * no `<url|text>` link can be formed), each value from a record is shown in a code span (no
 * formatting applies inside; a backquote in it becomes `'`), and the title, which names the
 * resource, loses the characters that open formatting or links.
 */
function chatNotification(parts: AlertParts, lines: readonly [string, string][]): string {
  const entities = (text: string) =>
    bodyValue(text).replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
  const value = (text: string) => `\`${entities(text).replace(/`/g, "'")}\``;
  const title = (text: string) => entities(text).replace(/[`*~[\]]/g, "'");
  const keep = new Set([
    'Outcome',
    'Vault',
    'Resource',
    'Account',
    'Region',
    'Who',
    'MFA',
    'When',
    'Source IP',
    'Rule',
  ]);
  const description = lines
    .filter(([label]) => keep.has(label))
    .map(([label, text]) => `*${label}:* ${value(text)}`)
    .join('\n');
  const build = (limit: number) =>
    JSON.stringify({
      version: '1.0',
      source: 'custom',
      id: `${parts.ruleId}:${parts.eventID}`.slice(0, 256),
      content: {
        textType: 'client-markdown',
        title: title(parts.chatTitle).slice(0, 250),
        description: `${entities(parts.headline)}\n${description}`.slice(0, limit),
        nextSteps: [entities(parts.next), ...(parts.query === undefined ? [] : [value(parts.query)])].map(
          (step) => step.slice(0, 1000),
        ),
        keywords: parts.keywords.map((k) => attributeValue(k).slice(0, 64)),
      },
      metadata: {
        summary: asciiSafe(parts.subject),
        eventType: parts.ruleId,
        relatedResources: [],
        additionalContext: { severity: parts.severity, account: attributeValue(parts.attributes.account) },
      },
    });
  let limit = CHAT_DESCRIPTION_MAX_CHARS;
  let json = build(limit);
  while (Buffer.byteLength(json) > CHAT_MAX_BYTES && limit > 100) {
    limit = Math.floor(limit / 2);
    json = build(limit);
  }
  return json;
}

/**
 * SNS Publish's Message and MessageStructure for an alert. With a chat notification, the message is
 * SNS's per-protocol JSON: `default` and `email` get the text, `https` (how Amazon Q Developer in
 * chat applications subscribes) the notification.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-send-custom-platform-specific-payloads-mobile-devices.html
 */
export function snsMessage(alert: AlertMessage): { Message: string; MessageStructure?: 'json' } {
  if (alert.chat === undefined) return { Message: alert.body };
  const message = JSON.stringify({ default: alert.body, email: alert.body, https: alert.chat });
  // Cannot exceed the cap given the sizes above; if it ever did, the text alone still goes out.
  if (Buffer.byteLength(message) > ALERT_MESSAGE_MAX_BYTES) return { Message: alert.body };
  return { Message: message, MessageStructure: 'json' };
}

/**
 * The text a subscriber of `protocol` receives, given the Message published. The local emulator
 * does not apply SNS's per-protocol selection, so local mode and the tests apply it here, as SNS
 * documents it: the protocol's entry, else `default`. Plain text passes through.
 */
export function messageFor(protocol: string, message: string): string {
  if (!message.startsWith('{')) return message;
  try {
    const parsed = JSON.parse(message) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return message;
    const entries = parsed as Record<string, unknown>;
    if (typeof entries.default !== 'string') return message;
    const chosen = entries[protocol];
    return typeof chosen === 'string' ? chosen : entries.default;
  } catch {
    return message;
  }
}

/**
 * `<title><code><middle><resource><where>` in at most 100 ASCII characters. What gives way first
 * is the error code (the body has it whole), then the resource name, then the end of the line.
 */
export function fitSubject(
  title: string,
  code: string,
  middle: string,
  resource: string,
  where: string,
): string {
  let [c, r] = [asciiSafe(code), asciiSafe(resource)];
  const fixed = asciiSafe(title).length + asciiSafe(middle).length + asciiSafe(where).length;
  const shorten = (text: string, keep: number) =>
    text.length <= keep ? text : `${text.slice(0, Math.max(0, keep - 3))}...`;
  const over = () => fixed + c.length + r.length - SUBJECT_MAX;
  if (over() > 0) c = shorten(c, Math.max(12, c.length - over()));
  if (over() > 0) r = shorten(r, Math.max(12, r.length - over()));
  const subject = `${asciiSafe(title)}${c}${asciiSafe(middle)}${r}${asciiSafe(where)}`;
  return subject.length <= SUBJECT_MAX ? subject : shorten(subject, SUBJECT_MAX);
}

function fitUtf8(text: string, maxBytes: number): string {
  return Buffer.byteLength(text) <= maxBytes ? text : truncateUtf8(text, maxBytes);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let cut = maxBytes;
  while (cut > 0 && ((bytes[cut] ?? 0) & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}
