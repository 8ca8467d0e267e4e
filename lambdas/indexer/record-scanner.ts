/**
 * The JSON side of the log scanner: decompressed text in, the selected records of its top-level
 * `Records` array out.
 */
import { MAX_RECORD_BYTES } from '../shared/aws-limits';
import { LogFileError, type ScanStats, type SelectedRecord } from './log-file-error';

/**
 * Brackets tracked inside one record. Deeper nesting (not something CloudTrail writes) makes the
 * record too large to parse, like one over {@link MAX_RECORD_BYTES}: skipped and reported.
 */
const MAX_RECORD_DEPTH = 65_536;
/** Nesting outside records (the top-level value, other top-level keys' values). */
const MAX_OUTER_DEPTH = 1024;
/** A number or literal outside records longer than this is refused (JSON.parse would read it). */
const MAX_SCALAR_BYTES = 1024;

// ---------------------------------------------------------------------------------------------
// JSON record splitter

// What the JSON grammar allows next (outside records).
const EXPECT_VALUE = 0;
const EXPECT_VALUE_OR_END = 1; // after '['
const EXPECT_KEY_OR_END = 2; // after '{'
const EXPECT_KEY = 3; // after ',' in an object
const EXPECT_COLON = 4;
const EXPECT_COMMA_OR_END = 5;
const EXPECT_NOTHING = 6; // after the top-level value

const OBJECT = 1;
const ARRAY = 2;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const RECORDS = Buffer.from('Records');
const ESCAPED_UNICODE = Buffer.from('\\u');
const SOURCE_KEY = Buffer.from('"eventSource"');
const NAME_KEY = Buffer.from('"eventName"');
const COLON_QUOTE = Buffer.from(':"');

/**
 * `[start, end)` of the string value of `key`, if the key occurs once in the record (so it is the
 * record's own, at any depth there is no other), is followed by `:"` (compact JSON), and the value
 * has no escape; otherwise undefined, and JSON.parse decides.
 */
function valueOf(bytes: Buffer, key: Buffer): [number, number] | undefined {
  const at = bytes.indexOf(key);
  if (at < 0 || bytes.indexOf(key, at + key.length) >= 0) return undefined;
  const after = at + key.length;
  if (after + 2 > bytes.length || bytes.compare(COLON_QUOTE, 0, 2, after, after + 2) !== 0) return undefined;
  const start = at + key.length + 2;
  const end = bytes.indexOf(QUOTE, start);
  if (end < 0 || bytes.subarray(start, end).includes(BACKSLASH)) return undefined;
  return [start, end];
}

function equalsAt(bytes: Buffer, [start, end]: [number, number], expected: Buffer): boolean {
  return end - start === expected.length && bytes.compare(expected, 0, expected.length, start, end) === 0;
}

/** Whether the value is `prefix` or starts with it (names are exact, or prefixes for Lambda's). */
function startsWithAt(bytes: Buffer, [start, end]: [number, number], prefix: Buffer): boolean {
  return (
    end - start >= prefix.length &&
    bytes.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0
  );
}
/** `Records` with every character escaped as `\\uXXXX`. */
const MAX_RECORDS_KEY_BYTES = 7 * 6;

/**
 * Splits the JSON text into the elements of the top-level `Records` array and selects records.
 *
 * Two levels, for speed:
 * - Outside records (the top-level object, the Records array, other top-level values and
 *   everything nested in them, elements of Records that are not objects), a full JSON grammar
 *   state machine validates every token as JSON.parse would: separators, literals, numbers, and
 *   in strings the escapes and the absence of raw control characters. (Bytes are not checked to be
 *   valid UTF-8 there, and JSON.parse, reading decoded text, does not reject that either.)
 * - A record object is skipped by a tight loop that only follows strings and brackets (checking
 *   that strings end and brackets match), reads the value of its own `eventSource` key, and keeps
 *   references to its bytes. It is a candidate only if that value is a source byte for byte, or
 *   an escape could spell one; candidates are parsed with JSON.parse and selected by their own
 *   `eventSource`, so selection is exactly that of JSON.parse-everything. Records that are not
 *   candidates are never decoded.
 *
 * What is not checked in records that are not candidates: the grammar between their tokens
 * (separators, literals, numbers) and the content of their strings. gzip's CRC-32 already
 * guards every byte of a delivered file; a broken structure (unterminated string, unmatched
 * bracket, truncation) is still detected everywhere.
 */
export class RecordScanner {
  /** Each source as UTF-8. */
  private readonly patterns: Buffer[];
  private readonly everyRecordIsCandidate: boolean;
  private readonly stack: number[] = [];
  private expect = EXPECT_VALUE;

  // The current string or scalar token outside records; it may continue in the next chunk.
  private inString = false;
  /** Bytes of the next chunk to skip when a record's string resumes (the byte escaped by a final `\`). */
  private stringSkip = 0;
  /** In a string outside records: 0, -1 after a backslash, or the hex digits a `\u` still needs. */
  private stringEscape = 0;
  private inScalar = false;
  private tokenStart = 0;
  private tokenIsKey = false;
  /** Whether the token's content matters (then `tokenParts` collects it across chunks). */
  private captureToken = false;
  private tokenParts: Buffer[] | undefined;

  // Top-level structure.
  private topLevelKeyIsRecords = false;
  private recordsKeySeen = false;
  private recordsArraySeen = false;
  private inRecordsArray = false;

  // The record object being skipped.
  private inRecord = false;
  private recordStart = 0;
  private recordParts: Buffer[] = [];
  /** Bytes of the record in earlier chunks (kept in `recordParts` unless it is too large). */
  private recordBytes = 0;
  /** Over {@link MAX_RECORD_BYTES} or {@link MAX_RECORD_DEPTH}: its bytes are no longer kept. */
  private recordTooLarge = false;
  private recordDepth = 0;
  private recordBrackets = new Uint8Array(64);
  private recordInString = false;
  /** Whether the record may be selected: it gets parsed. */
  private recordCandidate = false;
  /** At the record's own level: the next string is a key (after `{` or `,`), not a value. */
  private recordKeyNext = false;
  /** The last key at the record's own level was `eventSource`. */
  private recordSourceKey = false;
  // The chunk being fed, for the string search in records.
  /** Index of its last quote (-1: none). */
  private lastQuote = -1;
  /** Its bytes, for reading four at a time. */
  private view: DataView = new DataView(new ArrayBuffer(0));

  /** Sources selected only for some event names: the source's bytes and the names' bytes. */
  private readonly nameFilters: { source: Buffer; names: Buffer[] }[];

  /**
   * @param nameFilters sources whose records are wanted only for some event names (the alert
   *   rules' sources that are not indexed: KMS or S3 calls are frequent, and most are not alerted
   *   on). A candidate of only such sources is parsed when one of its names appears in the record's
   *   bytes, or an escape (`\u`) could hide one; otherwise it cannot be selected and is skipped.
   */
  constructor(
    private readonly sources: ReadonlySet<string>,
    private readonly stats: ScanStats,
    nameFilters: ReadonlyMap<string, readonly string[]> = new Map(),
  ) {
    const list = [...sources];
    this.patterns = list.filter((source) => source !== '').map((source) => Buffer.from(source, 'utf8'));
    // An empty source appears in every record: then every record is a candidate.
    this.everyRecordIsCandidate = list.includes('');
    this.nameFilters = [...nameFilters].map(([source, names]) => ({
      source: Buffer.from(source, 'utf8'),
      names: names.map((name) => Buffer.from(name, 'utf8')),
    }));
  }

  /** Whether a candidate record's bytes may hold a record that is selected (see nameFilters). */
  private mayBeSelected(bytes: Buffer): boolean {
    if (this.nameFilters.length === 0 || this.everyRecordIsCandidate) return true;
    // An escape may spell a key or a value: only JSON.parse can tell.
    if (bytes.includes(ESCAPED_UNICODE)) return true;
    // The record's source and event name as CloudTrail writes them (compact JSON), each key found
    // once: anything else (spacing, a second occurrence that may be nested) is left to JSON.parse.
    const source = valueOf(bytes, SOURCE_KEY);
    if (source === undefined) return true;
    const filter = this.nameFilters.find((f) => equalsAt(bytes, source, f.source));
    if (filter === undefined) return true;
    const name = valueOf(bytes, NAME_KEY);
    if (name === undefined) return true;
    return filter.names.some((wanted) => startsWithAt(bytes, name, wanted));
  }

  /** Scans the next chunk of JSON text, appending the records it completes that are selected. */
  feed(buf: Buffer, out: SelectedRecord[]): void {
    const len = buf.length;
    let i = 0;
    this.tokenStart = 0;
    this.lastQuote = buf.lastIndexOf(QUOTE);
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    if (this.inRecord) {
      this.recordStart = 0;
      i = this.skipRecord(buf, this.recordInString ? this.stringSkip : 0, out);
      if (i < 0) return;
    } else if (this.inString) {
      i = this.scanString(buf, 0);
      if (i < 0) return;
    } else if (this.inScalar) {
      i = this.scanScalar(buf, 0);
      if (i < 0) return;
    }

    while (i < len) {
      const c = buf[i];
      switch (c) {
        case 0x20:
        case 0x0a:
        case 0x0d:
        case 0x09:
          i++;
          break;
        case QUOTE:
          this.beginString();
          this.tokenStart = i + 1;
          i = this.scanString(buf, i + 1);
          if (i < 0) return;
          break;
        case OPEN_BRACE:
        case OPEN_BRACKET:
          if (this.expect !== EXPECT_VALUE && this.expect !== EXPECT_VALUE_OR_END) this.unexpected(c);
          if (c === OPEN_BRACE && this.stack.length === 2 && this.inRecordsArray) {
            this.inRecord = true;
            this.recordStart = i;
            this.recordParts = [];
            this.recordBytes = 0;
            this.recordTooLarge = false;
            this.recordDepth = 0;
            this.recordInString = false;
            this.recordCandidate = this.everyRecordIsCandidate;
            this.recordKeyNext = false;
            this.recordSourceKey = false;
            i = this.skipRecord(buf, i, out);
            if (i < 0) return;
            break;
          }
          if (this.stack.length >= MAX_OUTER_DEPTH) {
            throw new LogFileError(
              'invalid-json',
              `nesting deeper than ${MAX_OUTER_DEPTH} levels outside the records`,
            );
          }
          if (c === OPEN_BRACE) {
            this.stack.push(OBJECT);
            this.expect = EXPECT_KEY_OR_END;
          } else {
            if (this.stack.length === 1 && this.topLevelKeyIsRecords) {
              this.inRecordsArray = true;
              this.recordsArraySeen = true;
            }
            this.stack.push(ARRAY);
            this.expect = EXPECT_VALUE_OR_END;
          }
          i++;
          break;
        case CLOSE_BRACE:
          if (
            this.stack[this.stack.length - 1] !== OBJECT ||
            (this.expect !== EXPECT_KEY_OR_END && this.expect !== EXPECT_COMMA_OR_END)
          ) {
            this.unexpected(c);
          }
          this.stack.pop();
          this.endValue();
          i++;
          break;
        case CLOSE_BRACKET:
          if (
            this.stack[this.stack.length - 1] !== ARRAY ||
            (this.expect !== EXPECT_VALUE_OR_END && this.expect !== EXPECT_COMMA_OR_END)
          ) {
            this.unexpected(c);
          }
          this.stack.pop();
          if (this.stack.length === 1) this.inRecordsArray = false;
          this.endValue();
          i++;
          break;
        case 0x2c: // ,
          if (this.expect !== EXPECT_COMMA_OR_END) this.unexpected(c);
          this.expect = this.stack[this.stack.length - 1] === OBJECT ? EXPECT_KEY : EXPECT_VALUE;
          i++;
          break;
        case 0x3a: // :
          if (this.expect !== EXPECT_COLON) this.unexpected(c);
          this.expect = EXPECT_VALUE;
          i++;
          break;
        default:
          if (this.expect !== EXPECT_VALUE && this.expect !== EXPECT_VALUE_OR_END) this.unexpected(c);
          this.inScalar = true;
          this.tokenStart = i;
          i = this.scanScalar(buf, i);
          if (i < 0) return;
      }
    }
  }

  /** Called at the end of the input. */
  end(): void {
    if (this.inScalar) {
      this.inScalar = false;
      const token = Buffer.concat(this.tokenParts ?? []);
      this.tokenParts = undefined;
      this.endScalar(token, 0, token.length);
    }
    if (this.inRecord || this.inString || this.expect !== EXPECT_NOTHING) {
      throw new LogFileError('invalid-json', 'file ends inside the JSON text');
    }
    if (!this.recordsArraySeen) {
      throw new LogFileError('missing-records', 'the file is not an object with a "Records" array');
    }
  }

  private unexpected(c: number | undefined): never {
    const byte = c ?? 0;
    const shown =
      byte >= 0x20 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16)}`;
    throw new LogFileError('invalid-json', `unexpected ${shown} in JSON text`);
  }

  /** A value outside record objects ended. */
  private endValue(): void {
    const depth = this.stack.length;
    if (depth === 0) {
      this.expect = EXPECT_NOTHING;
      return;
    }
    this.expect = EXPECT_COMMA_OR_END;
    // A Records element that is not an object: scanned, never selected (it has no eventSource).
    if (depth === 2 && this.inRecordsArray) this.stats.recordsScanned++;
  }

  // --- record objects ------------------------------------------------------------------------

  /**
   * Skips a record object from `from` (its `{`, or where it continues in a new chunk). Returns the
   * index after its `}`, or -1 when it continues in the next chunk.
   *
   * This loop sees nearly every byte of the file, so it only follows strings and brackets, keeps
   * to local variables and byte compares, and searches strings four bytes at a time. At the
   * record's own level it tells keys from values, to compare the value of an `eventSource` key
   * with the sources: a record is a candidate, to be parsed, when one matches, when an escape
   * could spell one (`"event\u0053ource"`), or when a key or that value spans two chunks.
   */
  private skipRecord(buf: Buffer, from: number, out: SelectedRecord[]): number {
    const len = buf.length;
    // No quote after this index: a string that starts at or before it ends at or before it, and one
    // that starts after it goes on in the next chunk.
    const lastQuote = this.lastQuote;
    const view = this.view;
    let brackets = this.recordBrackets;
    let depth = this.recordDepth;
    let candidate = this.recordCandidate;
    let keyNext = this.recordKeyNext;
    let sourceKey = this.recordSourceKey;
    let i = from;
    /** Where the content of a string cut by the end of the chunk starts (-1: none). */
    let cut = -1;
    if (this.recordInString) {
      // A string that began in an earlier chunk: only its end matters (a key or eventSource value
      // cut by the chunk boundary already made the record a candidate).
      const quote = i <= lastQuote ? closingQuote(buf, view, i, lastQuote) : -1;
      if (quote < 0) {
        cut = from;
        i = len;
      } else {
        i = quote + 1;
      }
    }
    while (i < len) {
      const c = buf[i++];
      if (c === QUOTE) {
        const start = i;
        const quote = i <= lastQuote ? closingQuote(buf, view, i, lastQuote) : -1;
        if (quote < 0) {
          // A key or eventSource value cut by the chunk boundary makes the record a candidate.
          if (depth === 1 && (keyNext || sourceKey)) candidate = true;
          cut = start;
          break;
        }
        i = quote + 1;
        if (depth === 1) {
          if (keyNext) {
            sourceKey = isEventSourceKey(buf, start, quote);
            // An escaped key ("event\u0053ource", 16 to 66 bytes) may be eventSource: let JSON.parse decide.
            const length = quote - start;
            if (!candidate && length >= 16 && length <= 66 && hasBackslash(buf, start, quote)) {
              candidate = true;
            }
          } else if (sourceKey) {
            sourceKey = false;
            if (!candidate) candidate = this.isSource(buf, start, quote) || hasBackslash(buf, start, quote);
          }
        }
      } else if (c === 0x2c) {
        // ,
        if (depth === 1) {
          keyNext = true;
          sourceKey = false;
        }
      } else if (c === 0x3a) {
        // :
        if (depth === 1) keyNext = false;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (depth === brackets.length) {
          if (depth < MAX_RECORD_DEPTH) {
            const grown = new Uint8Array(depth * 2);
            grown.set(brackets);
            brackets = this.recordBrackets = grown;
          } else {
            // Deeper levels are counted, not tracked (the write below falls outside the array).
            this.recordTooLarge = true;
          }
        }
        brackets[depth++] = c;
        if (depth === 1) keyNext = true;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        // '{' + 2 === '}' and '[' + 2 === ']'
        if (depth === 0 || (brackets[--depth] !== (c ?? 0) - 2 && depth < brackets.length))
          this.unexpected(c);
        if (depth === 0) {
          this.inRecord = false;
          this.recordInString = false;
          this.recordDepth = 0;
          this.endRecord(buf, i - 1, candidate, out);
          return i;
        }
      }
    }
    // The record goes on in the next chunk. One exit, in a string or not: code that V8 optimised
    // having seen only one of them would be thrown away at the other (measured 7% slower).
    this.recordDepth = depth;
    this.recordInString = cut >= 0;
    this.recordCandidate = candidate;
    this.recordKeyNext = keyNext;
    // A cut string's kind is not carried over: a key or eventSource value cut made a candidate.
    this.recordSourceKey = cut >= 0 ? false : sourceKey;
    // An odd run of backslashes at the end escapes the first byte of the next chunk.
    this.stringSkip = cut >= 0 ? trailingBackslashes(buf, cut) & 1 : 0;
    const part = this.recordStart === 0 ? buf : buf.subarray(this.recordStart);
    this.recordBytes += part.length;
    if (this.recordBytes > MAX_RECORD_BYTES) this.recordTooLarge = true;
    // A record too large to parse is followed to its end, but its bytes are not kept: memory stays
    // bounded whatever the input.
    if (this.recordTooLarge) this.recordParts = [];
    else this.recordParts.push(part);
    return -1;
  }

  /** Whether the raw string content `buf[start, end)` is one of the sources, byte for byte. */
  private isSource(buf: Buffer, start: number, end: number): boolean {
    const length = end - start;
    for (const pattern of this.patterns) {
      if (pattern.length !== length) continue;
      let k = 0;
      while (k < length && buf[start + k] === pattern[k]) k++;
      if (k === length) return true;
    }
    return false;
  }

  /** The record object ended with its `}` at `last` in `buf`. */
  private endRecord(buf: Buffer, last: number, candidate: boolean, out: SelectedRecord[]): void {
    this.stats.recordsScanned++;
    this.expect = EXPECT_COMMA_OR_END;
    const parts = this.recordParts;
    this.recordParts = [];
    // Exactly the limit, however the record was cut into chunks.
    const size = this.recordBytes + last + 1 - this.recordStart;
    if (this.recordTooLarge || size > MAX_RECORD_BYTES) {
      this.tooLarge(size, candidate);
      return;
    }
    if (!candidate) return;
    const tail = buf.subarray(this.recordStart, last + 1);
    const bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    if (!this.mayBeSelected(bytes)) return;
    const raw = bytes.toString('utf8');
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      throw new LogFileError('invalid-json', `invalid record: ${(err as Error).message}`, { cause: err });
    }
    const source = (record as { eventSource?: unknown }).eventSource;
    if (typeof source === 'string' && this.sources.has(source)) {
      this.stats.recordsSelected++;
      out.push({ record: record as Record<string, unknown>, raw });
    }
  }

  /**
   * A record over {@link MAX_RECORD_BYTES} (or nested deeper than {@link MAX_RECORD_DEPTH}) was
   * skipped unread. CloudTrail writes none (its largest event is 256 KB), so it is forged or
   * corrupt. The rest of the file is still scanned; a skipped record that may be of an indexed
   * source is counted apart, and makes the file fail once the rest is indexed.
   */
  private tooLarge(bytes: number, candidate: boolean): void {
    const stats = this.stats;
    stats.recordsTooLarge = (stats.recordsTooLarge ?? 0) + 1;
    if (candidate) stats.candidatesTooLarge = (stats.candidatesTooLarge ?? 0) + 1;
    stats.largestRecordBytes = Math.max(stats.largestRecordBytes ?? 0, bytes);
  }

  // --- strings outside records ---------------------------------------------------------------

  private beginString(): void {
    const expect = this.expect;
    if (expect === EXPECT_KEY || expect === EXPECT_KEY_OR_END) {
      this.tokenIsKey = true;
      this.captureToken = this.stack.length === 1;
      // Until the key is read whole and proves to be "Records".
      if (this.captureToken) this.topLevelKeyIsRecords = false;
    } else if (expect === EXPECT_VALUE || expect === EXPECT_VALUE_OR_END) {
      this.tokenIsKey = false;
      this.captureToken = false;
    } else {
      this.unexpected(QUOTE);
    }
    this.inString = true;
    this.tokenParts = undefined;
  }

  /**
   * Scans string content from `from` to the closing quote. Returns the index after the quote, or -1
   * when the string continues in the next chunk.
   */
  private scanString(buf: Buffer, from: number): number {
    const len = buf.length;
    let j = from;
    let escape = this.stringEscape;
    // Byte by byte, validating as JSON.parse does: strings outside records are few and short.
    for (; j < len; j++) {
      const c = buf[j] ?? 0;
      if (escape === 0) {
        if (c === QUOTE) break;
        if (c === BACKSLASH) escape = -1;
        else if (c < 0x20) throw invalidString(`control character ${hexByte(c)}`);
      } else if (escape < 0) {
        if (c === 0x75)
          escape = 4; // \uXXXX
        else if (isSimpleEscape(c)) escape = 0;
        else throw invalidString(`invalid escape '\\' followed by ${hexByte(c)}`);
      } else {
        if (!isHexDigit(c)) throw invalidString(`invalid \\u escape: ${hexByte(c)} is not a hex digit`);
        escape--;
      }
    }
    if (j >= len) {
      this.stringEscape = escape;
      if (this.captureToken && this.tokenStart < len) {
        const parts = (this.tokenParts ??= []);
        parts.push(buf.subarray(this.tokenStart));
        // "Records" is at most 42 bytes even fully escaped: a longer key is not it, and is not kept.
        if (parts.reduce((sum, part) => sum + part.length, 0) > MAX_RECORDS_KEY_BYTES) {
          this.captureToken = false;
          this.tokenParts = undefined;
        }
      }
      return -1;
    }
    this.inString = false;
    this.stringEscape = 0;
    if (this.captureToken) {
      const parts = this.tokenParts;
      this.tokenParts = undefined;
      if (parts === undefined) {
        this.endKey(buf, this.tokenStart, j);
      } else {
        parts.push(buf.subarray(0, j));
        const token = Buffer.concat(parts);
        this.endKey(token, 0, token.length);
      }
    }
    if (this.tokenIsKey) this.expect = EXPECT_COLON;
    else this.endValue();
    return j + 1;
  }

  /** A top-level key ended; its raw (still escaped) content is `buf[start, end)`. */
  private endKey(buf: Buffer, start: number, end: number): void {
    this.topLevelKeyIsRecords = equalsKey(buf, start, end, RECORDS, 'Records');
    if (this.topLevelKeyIsRecords) {
      // JSON.parse would keep the last array, but records of the first were already yielded.
      if (this.recordsKeySeen) throw new LogFileError('invalid-json', 'duplicate "Records" key');
      this.recordsKeySeen = true;
    }
  }

  // --- numbers and literals outside records --------------------------------------------------

  /** Scans a number or literal from `from`. Returns the index after it, or -1 if it continues. */
  private scanScalar(buf: Buffer, from: number): number {
    const len = buf.length;
    let j = from;
    while (j < len && isScalarByte(buf[j])) j++;
    if (j >= len) {
      const parts = (this.tokenParts ??= []);
      parts.push(buf.subarray(this.tokenStart));
      if (parts.reduce((sum, part) => sum + part.length, 0) > MAX_SCALAR_BYTES) {
        throw new LogFileError('invalid-json', `a number or literal of more than ${MAX_SCALAR_BYTES} bytes`);
      }
      return -1;
    }
    this.inScalar = false;
    const parts = this.tokenParts;
    this.tokenParts = undefined;
    if (parts === undefined) {
      this.endScalar(buf, this.tokenStart, j);
    } else {
      parts.push(buf.subarray(0, j));
      const token = Buffer.concat(parts);
      this.endScalar(token, 0, token.length);
    }
    return j;
  }

  private endScalar(buf: Buffer, start: number, end: number): void {
    // The same limit whether the token was cut by a chunk boundary or not.
    if (end - start > MAX_SCALAR_BYTES) {
      throw new LogFileError('invalid-json', `a number or literal of more than ${MAX_SCALAR_BYTES} bytes`);
    }
    if (!isValidScalar(buf, start, end)) {
      throw new LogFileError('invalid-json', `invalid literal '${buf.toString('latin1', start, end)}'`);
    }
    this.endValue();
  }
}

/**
 * Index of the quote that closes the string whose content starts at `from`, or -1 when the string
 * goes on after this chunk. `lastQuote` is the chunk's last quote, at or after `from`: the search
 * stops there at the latest, so it needs no end-of-chunk test.
 *
 * Strings hold most bytes of a log file, so they are searched four bytes at a time (little-endian
 * words of `view`, the bytes of `buf`), which measured 20% faster overall than byte by byte.
 */
function closingQuote(buf: Buffer, view: DataView, from: number, lastQuote: number): number {
  // A word read at or before lastWord lies in the chunk; past it, the word ending with the last
  // quote is read and shifted down to start at i (the bytes shifted in are zero, not quotes). One
  // read for both: code that V8 optimised before a chunk's end was reached is not thrown away there.
  const lastWord = lastQuote - 3;
  if (lastWord < 0) return closingQuoteBytes(buf, from, lastQuote);
  let i = from;
  for (;;) {
    const at = i <= lastWord ? i : lastWord;
    const word = view.getInt32(at, true) >>> ((i - at) << 3);
    // A quote byte is a zero byte of x. The lowest byte flagged in `found` is the first zero byte
    // (a borrow can flag bytes above it, never below), so this finds the first quote exactly.
    const x = word ^ 0x22222222;
    const found = (x - 0x01010101) & ~x & 0x80808080;
    if (found === 0) {
      i += 4;
      continue;
    }
    i += (31 - Math.clz32(found & -found)) >> 3;
    // An escaped quote (odd run of backslashes before it) does not close the string.
    if (i === from || buf[i - 1] !== BACKSLASH || (backslashesBefore(buf, i, from) & 1) === 0) return i;
    if (i === lastQuote) return -1;
    i++;
  }
}

/** closingQuote for a chunk whose last quote is among its first 3 bytes. */
function closingQuoteBytes(buf: Buffer, from: number, lastQuote: number): number {
  for (let i = from; i <= lastQuote; i++) {
    if (buf[i] === QUOTE && (backslashesBefore(buf, i, from) & 1) === 0) return i;
  }
  return -1;
}

const EVENT_SOURCE = Buffer.from('eventSource');

/** Whether the raw key `buf[start, end)` is literally `eventSource` (escaped forms are candidates anyway). */
function isEventSourceKey(buf: Buffer, start: number, end: number): boolean {
  if (end - start !== 11) return false;
  for (let k = 0; k < 11; k++) if (buf[start + k] !== EVENT_SOURCE[k]) return false;
  return true;
}

/** Number of backslashes right before `at`, not counting before `from`. */
function backslashesBefore(buf: Buffer, at: number, from: number): number {
  let run = 0;
  for (let k = at - 1; k >= from && buf[k] === BACKSLASH; k--) run++;
  return run;
}

/** Number of backslashes at the end of `buf`, not counting before `from`. */
function trailingBackslashes(buf: Buffer, from: number): number {
  let run = 0;
  for (let k = buf.length - 1; k >= from && buf[k] === BACKSLASH; k--) run++;
  return run;
}

function equalsKey(buf: Buffer, start: number, end: number, expected: Buffer, decoded: string): boolean {
  if (end - start === expected.length && buf.compare(expected, 0, expected.length, start, end) === 0) {
    return true;
  }
  // An escaped key ("event\u0053ource") is the same key to JSON.parse.
  return hasBackslash(buf, start, end) && decodeString(buf, start, end) === decoded;
}

/** Whether `buf[start, end)` holds a backslash. A loop, not indexOf: that would search to the end of `buf`. */
function hasBackslash(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === BACKSLASH) return true;
  return false;
}

function decodeString(buf: Buffer, start: number, end: number): string {
  if (!hasBackslash(buf, start, end)) return buf.toString('utf8', start, end);
  try {
    return JSON.parse(`"${buf.toString('utf8', start, end)}"`) as string;
  } catch (err) {
    throw new LogFileError('invalid-json', 'invalid string escape', { cause: err });
  }
}

/** The bytes a backslash may escape, other than `u`: `" \\ / b f n r t`. */
function isSimpleEscape(c: number): boolean {
  return (
    c === QUOTE ||
    c === BACKSLASH ||
    c === 0x2f ||
    c === 0x62 ||
    c === 0x66 ||
    c === 0x6e ||
    c === 0x72 ||
    c === 0x74
  );
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function hexByte(c: number): string {
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

function invalidString(what: string): LogFileError {
  return new LogFileError('invalid-json', `${what} in a string outside the records`);
}

/** Bytes that can belong to a number or literal token. */
function isScalarByte(c: number | undefined): boolean {
  return (
    c !== undefined &&
    ((c >= 0x30 && c <= 0x39) ||
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      c === 0x2d ||
      c === 0x2b ||
      c === 0x2e)
  );
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function isValidScalar(buf: Buffer, start: number, end: number): boolean {
  const first = buf[start];
  if (first === 0x74) return end - start === 4 && buf.compare(TRUE, 0, 4, start, end) === 0;
  if (first === 0x66) return end - start === 5 && buf.compare(FALSE, 0, 5, start, end) === 0;
  if (first === 0x6e) return end - start === 4 && buf.compare(NULL, 0, 4, start, end) === 0;
  return isValidNumber(buf, start, end);
}

/** JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function isValidNumber(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  const digit = (k: number) => {
    const c = buf[k];
    return c !== undefined && c >= 0x30 && c <= 0x39;
  };
  if (buf[i] === 0x2d) i++;
  if (i >= end) return false;
  if (buf[i] === 0x30) i++;
  else if (digit(i)) while (i < end && digit(i)) i++;
  else return false;
  if (i < end && buf[i] === 0x2e) {
    i++;
    if (!(i < end && digit(i))) return false;
    while (i < end && digit(i)) i++;
  }
  if (i < end && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < end && (buf[i] === 0x2b || buf[i] === 0x2d)) i++;
    if (!(i < end && digit(i))) return false;
    while (i < end && digit(i)) i++;
  }
  return i === end;
}
