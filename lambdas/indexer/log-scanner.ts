/**
 * Streaming CloudTrail log file scanner: compressed bytes in, selected records out.
 *
 * A log file can be 50 MB of gzip and hundreds of MB of JSON, so nothing here holds the file:
 * the body is streamed, inflated as a stream, and the decompressed bytes are split into the
 * top-level records of `{"Records":[...]}` by a byte-level JSON state machine. Each record's own
 * (depth-1) `eventSource` value is compared, as bytes, with the sources while the record is
 * skipped; only a record that may be selected is turned into a string and `JSON.parse`d, and
 * selected by what JSON.parse reads, so the result is exactly that of parsing everything.
 * At most one record plus a few chunks are held at a time.
 *
 * gzip framing is handled here rather than by `zlib.createGunzip()`, because Node's gunzip silently
 * decodes a second concatenated member and ignores trailing zero bytes; CloudTrail writes exactly one
 * member, and data after it marks a corrupt file (as the 2026 aws-cli fix does). The header is
 * parsed here, the deflate data goes through `createInflateRaw`, and the CRC-32/ISIZE trailer is
 * checked here.
 */
import type { TransformOptions } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { crc32, createInflateRaw, type InflateRaw, type ZlibOptions } from 'node:zlib';

export type LogFileErrorReason =
  | 'not-a-log-file' // neither gzip (magic 1f 8b) nor JSON text
  | 'corrupt-gzip' // inflate error / bad CRC
  | 'truncated-gzip' // stream ended before the gzip member ended
  | 'trailing-data' // bytes after the end of the first gzip member (even another gzip member)
  | 'invalid-json'
  | 'missing-records'; // top-level value is not an object with a "Records" array

/** A log file that cannot be read as CloudTrail writes them. Retrying will not help. */
export class LogFileError extends Error {
  override readonly name = 'LogFileError';
  constructor(
    readonly reason: LogFileErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ScanStats {
  compressedBytes: number;
  decompressedBytes: number;
  recordsScanned: number;
  recordsSelected: number;
}

export interface SelectedRecord {
  readonly record: Record<string, unknown>;
  /** The exact JSON text of the record, as it appears in the log file. */
  readonly raw: string;
}

/**
 * Output chunk size of the inflater. Each step of an inflater is one job on the thread pool whose
 * completion needs the main thread: large steps keep that overhead low (a 58 MiB file inflates in
 * 60% of the time with 1 MB chunks than with 64 KB ones, measured alongside `npm run bench`).
 */
const INFLATE_CHUNK_SIZE = 1024 * 1024;
/**
 * Compressed input is handed to the inflater in pieces of at least this size, whatever the chunks
 * of the body (an S3 body has socket-sized ones), for the same reason. 256 KB measured as fast as
 * 1 MB, with less memory.
 */
const INFLATE_INPUT_SIZE = 256 * 1024;
/** Decompressed bytes scanned between two turns of the event loop. */
const SCAN_SLICE = 128 * 1024;
/** A gzip header larger than this (huge FEXTRA/FNAME/FCOMMENT) is not something CloudTrail writes. */
const MAX_GZIP_HEADER = 128 * 1024;

/**
 * Streams a CloudTrail log file (gzip or plain JSON) and yields the records whose eventSource is in
 * `sources`. Throws LogFileError when the file is broken (possibly after yielding earlier records).
 * Memory independent of file size.
 */
export async function* scanLogFile(
  body: AsyncIterable<Uint8Array>,
  sources: ReadonlySet<string>,
  stats: ScanStats = { compressedBytes: 0, decompressedBytes: 0, recordsScanned: 0, recordsSelected: 0 },
): AsyncGenerator<SelectedRecord> {
  const input = new ByteSource(body, stats);
  try {
    const head = await input.peek(2);
    if (head.length === 0) throw new LogFileError('not-a-log-file', 'empty file');
    const scanner = new RecordScanner(sources, stats);
    const selected: SelectedRecord[] = [];
    const decompressed =
      head[0] === 0x1f && head[1] === 0x8b ? inflateMember(input, stats) : plain(input, stats);
    for await (const chunk of decompressed) {
      for (let at = 0; at < chunk.length; at += SCAN_SLICE) {
        // Between slices the event loop runs: the body's data and zlib's completions arrive, so that
        // reading and inflating go on while this thread scans.
        if (at > 0) await yieldToEventLoop();
        scanner.feed(
          at === 0 && chunk.length <= SCAN_SLICE ? chunk : chunk.subarray(at, at + SCAN_SLICE),
          selected,
        );
        if (selected.length > 0) {
          for (const record of selected) yield record;
          selected.length = 0;
        }
      }
    }
    scanner.end();
  } finally {
    await input.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Input

/** The body as Buffers, with look-ahead and byte accounting. */
class ByteSource {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private done = false;

  constructor(
    body: AsyncIterable<Uint8Array>,
    private readonly stats: ScanStats,
  ) {
    this.iterator = body[Symbol.asyncIterator]();
  }

  /** Next chunk, or undefined at the end of the body. */
  async next(): Promise<Buffer | undefined> {
    const queued = this.pending.shift();
    if (queued !== undefined) return queued;
    while (!this.done) {
      const result = await this.iterator.next();
      if (result.done === true) {
        this.done = true;
        break;
      }
      const chunk = toBuffer(result.value);
      if (chunk.length === 0) continue;
      this.stats.compressedBytes += chunk.length;
      return chunk;
    }
    return undefined;
  }

  /** Puts bytes back in front of the stream. */
  unshift(chunk: Buffer): void {
    if (chunk.length > 0) this.pending.unshift(chunk);
  }

  /** At least `n` bytes from the front (fewer only at the end of the body), without consuming them. */
  async peek(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const chunk = await this.next();
      if (chunk === undefined) break;
      parts.push(chunk);
      have += chunk.length;
    }
    const joined = parts.length === 1 && parts[0] !== undefined ? parts[0] : Buffer.concat(parts);
    this.unshift(joined);
    return joined;
  }

  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** First bytes a JSON text can start with (after whitespace). */
function isJsonStart(byte: number): boolean {
  return (
    byte === 0x7b || // {
    byte === 0x5b || // [
    byte === 0x22 || // "
    byte === 0x2d || // -
    (byte >= 0x30 && byte <= 0x39) ||
    byte === 0x74 || // t
    byte === 0x66 || // f
    byte === 0x6e // n
  );
}

async function* plain(input: ByteSource, stats: ScanStats): AsyncGenerator<Buffer> {
  let first = true;
  for (let chunk = await input.next(); chunk !== undefined; chunk = await input.next()) {
    if (first) {
      const start = skipWhitespace(chunk, 0);
      if (start < chunk.length) {
        first = false;
        const byte = chunk[start] ?? 0;
        if (!isJsonStart(byte)) {
          throw new LogFileError(
            'not-a-log-file',
            `neither gzip nor JSON: starts with byte 0x${byte.toString(16).padStart(2, '0')}`,
          );
        }
      }
    }
    stats.decompressedBytes += chunk.length;
    yield chunk;
  }
}

function skipWhitespace(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

// ---------------------------------------------------------------------------------------------
// gzip (RFC 1952), one member

const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;

/** Length of the gzip header at the start of `buf`, or -1 when more bytes are needed. */
function gzipHeaderLength(buf: Buffer): number {
  if (buf.length < 10) return -1;
  if (buf[0] !== 0x1f || buf[1] !== 0x8b) throw new LogFileError('corrupt-gzip', 'bad gzip magic');
  if (buf[2] !== 8) throw new LogFileError('corrupt-gzip', `unknown gzip compression method ${buf[2]}`);
  const flags = buf[3] ?? 0;
  if ((flags & 0xe0) !== 0) throw new LogFileError('corrupt-gzip', 'reserved gzip header flags set');
  let pos = 10;
  if ((flags & FEXTRA) !== 0) {
    if (buf.length < pos + 2) return -1;
    pos += 2 + buf.readUInt16LE(pos);
    if (buf.length < pos) return -1;
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if ((flags & flag) !== 0) {
      const zero = buf.indexOf(0, pos);
      if (zero < 0) return -1;
      pos = zero + 1;
    }
  }
  if ((flags & FHCRC) !== 0) {
    if (buf.length < pos + 2) return -1;
    if ((crc32(buf.subarray(0, pos)) & 0xffff) !== buf.readUInt16LE(pos)) {
      throw new LogFileError('corrupt-gzip', 'gzip header CRC mismatch');
    }
    pos += 2;
  }
  return pos;
}

/** Reads the gzip header from `input`, leaving the deflate data in it. */
async function readGzipHeader(input: ByteSource): Promise<void> {
  let want = 10;
  for (;;) {
    const head = await input.peek(want);
    const length = gzipHeaderLength(head);
    if (length >= 0) {
      // peek() put `head` back as one chunk: drop the header from it.
      const chunk = await input.next();
      if (chunk !== undefined) input.unshift(chunk.subarray(length));
      return;
    }
    if (head.length < want) throw new LogFileError('truncated-gzip', 'file ends inside the gzip header');
    if (head.length > MAX_GZIP_HEADER) throw new LogFileError('corrupt-gzip', 'gzip header too large');
    want = head.length + 1;
  }
}

/**
 * A zlib error (as opposed to an error of the body stream). Not `instanceof Error`: errors made by
 * Node internals belong to another realm under test runners that use vm contexts.
 */
function isZlibError(err: unknown): err is { code: string; message: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { errno?: unknown }).errno === 'number'
  );
}

/** Resolves when `stream` can take more input, or will never need to (ended, closed, destroyed). */
function writable(stream: InflateRaw): Promise<void> {
  if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      stream.off('drain', done).off('end', done).off('close', done).off('error', done);
      if (err instanceof Error) reject(err);
      else resolve();
    };
    stream.on('drain', done).on('end', done).on('close', done).on('error', done);
  });
}

/**
 * Inflates the one gzip member at the front of `input` and checks its trailer and that nothing
 * follows it. Input is written to the inflater by a pump running alongside the consumer, so that
 * inflating (on the libuv thread pool) overlaps with scanning (on the main thread).
 */
async function* inflateMember(input: ByteSource, stats: ScanStats): AsyncGenerator<Buffer> {
  await readGzipHeader(input);
  // Node passes stream options through to the Transform. The readable side holds up to 4 output
  // chunks, so that inflating runs ahead; in object mode, because otherwise each read joins all
  // buffered chunks into one new Buffer, a copy of the whole decompressed file.
  const options: ZlibOptions & TransformOptions = {
    chunkSize: INFLATE_CHUNK_SIZE,
    readableObjectMode: true,
    readableHighWaterMark: 4,
    writableHighWaterMark: 2 * INFLATE_INPUT_SIZE,
  };
  const inflate: InflateRaw = createInflateRaw(options);

  // Input written to the inflater that it may not have consumed yet, with offsets: after the end of
  // the deflate data (inflate.bytesWritten stops growing) it holds the trailer and what follows.
  const unconsumed: { chunk: Buffer; start: number }[] = [];
  let written = 0;
  let memberEnded = false;
  let bodyError: { error: unknown } | undefined;
  inflate.once('end', () => {
    memberEnded = true;
  });

  let batch: Buffer[] = [];
  let batchBytes = 0;
  /** Moves the collected input to `unconsumed`, and returns it as one piece. */
  const takeBatch = (): Buffer => {
    const piece = batch.length === 1 && batch[0] !== undefined ? batch[0] : Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    unconsumed.push({ chunk: piece, start: written });
    written += piece.length;
    while ((unconsumed[1]?.start ?? Infinity) <= inflate.bytesWritten) unconsumed.shift();
    return piece;
  };

  const pump = (async () => {
    try {
      for (let chunk = await input.next(); chunk !== undefined; chunk = await input.next()) {
        if (inflate.destroyed) return;
        batch.push(chunk);
        batchBytes += chunk.length;
        if (memberEnded) {
          takeBatch();
          // Past the end of the deflate data only the 8-byte trailer and one byte more matter.
          if (written - inflate.bytesWritten > 8) return;
        } else if (batchBytes >= INFLATE_INPUT_SIZE && !inflate.write(takeBatch())) {
          await writable(inflate);
        }
      }
      if (batchBytes > 0) {
        const piece = takeBatch();
        if (!memberEnded && !inflate.destroyed) inflate.write(piece);
      }
      if (!inflate.destroyed) inflate.end();
    } catch (err) {
      if (!inflate.destroyed) {
        bodyError = { error: err };
        inflate.destroy(new Error('the log file body failed', { cause: err }));
      }
    }
  })();

  let crc = 0;
  let size = 0;
  try {
    try {
      for await (const out of inflate as AsyncIterable<Buffer>) {
        crc = crc32(out, crc);
        size += out.length;
        stats.decompressedBytes += out.length;
        yield out;
        // Let the event loop run zlib's completion callback, which starts the next inflate step on
        // the thread pool: without this the buffered chunks are consumed in microtasks only, and
        // inflating waits for scanning instead of running alongside it.
        await yieldToEventLoop();
      }
    } catch (err) {
      if (bodyError !== undefined) throw bodyError.error as Error;
      if (isZlibError(err)) {
        if (err.code === 'Z_BUF_ERROR') {
          throw new LogFileError('truncated-gzip', 'file ends inside the compressed data', { cause: err });
        }
        throw new LogFileError('corrupt-gzip', `cannot inflate: ${err.message}`, { cause: err });
      }
      throw err;
    }
    await pump;
    if (bodyError !== undefined) throw bodyError.error as Error;

    const consumed = inflate.bytesWritten;
    const rest = Buffer.concat(
      unconsumed
        .filter(({ chunk, start }) => start + chunk.length > consumed)
        .map(({ chunk, start }) => chunk.subarray(Math.max(0, consumed - start))),
    );
    if (rest.length < 8) throw new LogFileError('truncated-gzip', 'file ends before the gzip trailer');
    if (rest.readUInt32LE(0) !== crc >>> 0) throw new LogFileError('corrupt-gzip', 'gzip CRC-32 mismatch');
    if (rest.readUInt32LE(4) !== size % 2 ** 32) {
      throw new LogFileError('corrupt-gzip', 'gzip ISIZE mismatch');
    }
    if (rest.length > 8 || (await input.next()) !== undefined) {
      throw new LogFileError('trailing-data', 'data after the end of the gzip member');
    }
  } finally {
    inflate.destroy();
  }
}

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

/**
 * Splits the JSON text into the elements of the top-level `Records` array and selects records.
 *
 * Two levels, for speed:
 * - Outside records (the top-level object, the Records array, other top-level values, records
 *   that are not objects), a full JSON grammar state machine validates every token.
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
class RecordScanner {
  /** Each source as UTF-8. */
  private readonly patterns: Buffer[];
  private readonly everyRecordIsCandidate: boolean;
  private readonly stack: number[] = [];
  private expect = EXPECT_VALUE;

  // The current string or scalar token outside records; it may continue in the next chunk.
  private inString = false;
  /** Bytes of the next chunk to skip when a string resumes (the byte escaped by a final `\`). */
  private stringSkip = 0;
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

  constructor(
    private readonly sources: ReadonlySet<string>,
    private readonly stats: ScanStats,
  ) {
    const list = [...sources];
    this.patterns = list.filter((source) => source !== '').map((source) => Buffer.from(source, 'utf8'));
    // An empty source appears in every record: then every record is a candidate.
    this.everyRecordIsCandidate = list.includes('');
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
      i = this.scanString(buf, this.stringSkip);
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
            this.recordDepth = 0;
            this.recordInString = false;
            this.recordCandidate = this.everyRecordIsCandidate;
            this.recordKeyNext = false;
            this.recordSourceKey = false;
            i = this.skipRecord(buf, i, out);
            if (i < 0) return;
            break;
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
          const grown = new Uint8Array(depth * 2);
          grown.set(brackets);
          brackets = this.recordBrackets = grown;
        }
        brackets[depth++] = c;
        if (depth === 1) keyNext = true;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        // '{' + 2 === '}' and '[' + 2 === ']'
        if (depth === 0 || brackets[--depth] !== (c ?? 0) - 2) this.unexpected(c);
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
    this.recordParts.push(this.recordStart === 0 ? buf : buf.subarray(this.recordStart));
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
    if (!candidate) return;
    const tail = buf.subarray(this.recordStart, last + 1);
    const raw = (parts.length === 0 ? tail : Buffer.concat([...parts, tail])).toString('utf8');
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

  // --- strings outside records ---------------------------------------------------------------

  private beginString(): void {
    const expect = this.expect;
    if (expect === EXPECT_KEY || expect === EXPECT_KEY_OR_END) {
      this.tokenIsKey = true;
      this.captureToken = this.stack.length === 1;
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
    for (;;) {
      if (j >= len) {
        this.stringSkip = j - len;
        if (this.captureToken && this.tokenStart < len) {
          (this.tokenParts ??= []).push(buf.subarray(this.tokenStart));
        }
        return -1;
      }
      const c = buf[j];
      if (c === QUOTE) break;
      j += c === BACKSLASH ? 2 : 1;
    }
    this.inString = false;
    this.stringSkip = 0;
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
      (this.tokenParts ??= []).push(buf.subarray(this.tokenStart));
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
