/**
 * Text from log records is chosen by whoever made the call (a user agent, an error message, a
 * vault or role name) or forged the file. Before it reaches a person (a terminal table, the local
 * summary, an alert email), terminal escape sequences are removed and every other control
 * character is shown escaped, so that nothing in it can move a cursor, rewrite a line, set a
 * window title, plant a hyperlink or reorder text. `--json` output needs none of this: its encoder
 * escapes control characters already.
 */
import { stripVTControlCharacters } from 'node:util';

/**
 * C0 and C1 controls, DEL, and the Unicode bidirectional controls (which can make text read in
 * another order than it is, CVE-2021-42574), plus the line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` safe to print: ANSI/OSC sequences removed (Node's own matcher), other controls escaped. */
export function safeText(text: string): string {
  return stripVTControlCharacters(text).replace(
    UNSAFE,
    (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * JSON text with the characters that JSON.stringify leaves raw but a terminal may act on (C1
 * controls such as CSI 0x9b, bidi controls, line and paragraph separators) written as `\uXXXX`
 * escapes: the same JSON value, byte for byte what `JSON.parse` gives back.
 */
export function jsonSafe(json: string): string {
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Multi-line text safe to print: each line as {@link safeText}, the line breaks kept. */
export function safeLines(text: string): string {
  return text.split('\n').map(safeText).join('\n');
}
