/**
 * The bytes of a log file, decompressed: the body as a stream of Buffers, and the one gzip member
 * of a compressed file or the text of a plain one.
 *
 * gzip framing is handled here rather than by `zlib.createGunzip()`, because Node's gunzip silently
 * decodes a second concatenated member and ignores trailing zero bytes; CloudTrail writes exactly one
 * member, and data after it marks a corrupt file (as the 2026 aws-cli fix does). The header is
 * parsed here, the deflate data goes through `createInflateRaw`, and the CRC-32/ISIZE trailer is
 * checked here.
 */
import type { TransformOptions } from 'node:stream';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { crc32, createInflateRaw, inflateRawSync, type InflateRaw, type ZlibOptions } from 'node:zlib';
import { LogFileError, type ScanStats } from './log-file-error';

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
/**
 * A file whose compressed data fits in one input piece is inflated in one synchronous call: most
 * CloudTrail files are a few kilobytes, and for them a stream's set-up, its 1 MB output buffer and
 * its round trips through the thread pool cost more than the inflating (measured with the realistic
 * mix of `npm run bench`). Its output is capped, so that a small file that inflates to a lot (a
 * deflate bomb) goes the streaming way and memory stays bounded.
 */
const SYNC_INFLATE_MAX_OUTPUT = 16 * 1024 * 1024;
/** A gzip header larger than this (huge FEXTRA/FNAME/FCOMMENT) is not something CloudTrail writes. */
const MAX_GZIP_HEADER = 128 * 1024;

// ---------------------------------------------------------------------------------------------
// Input

/** The body as Buffers, with look-ahead and byte accounting. */
export class ByteSource {
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

export async function* plain(input: ByteSource, stats: ScanStats): AsyncGenerator<Buffer> {
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

/**
 * Resolves when `stream` can take more input, or will never need to (ended, closed, destroyed,
 * failed). Never rejects: an inflate error reaches the consumer through the stream itself.
 */
function writable(stream: InflateRaw): Promise<void> {
  if (stream.destroyed || !stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('end', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('end', done).on('close', done).on('error', done);
  });
}

/**
 * Inflates the one gzip member at the front of `input` and checks its trailer and that nothing
 * follows it. Input is written to the inflater by a pump running alongside the consumer, so that
 * inflating (on the libuv thread pool) overlaps with scanning (on the main thread).
 */
export async function* inflateMember(input: ByteSource, stats: ScanStats): AsyncGenerator<Buffer> {
  await readGzipHeader(input);
  // A small file, whole: one synchronous inflate (see SYNC_INFLATE_MAX_OUTPUT).
  const head = await input.peek(INFLATE_INPUT_SIZE + 1);
  if (head.length <= INFLATE_INPUT_SIZE) {
    const inflated = inflateWhole(head);
    if (inflated !== undefined) {
      await input.next(); // peek() put `head` back as one chunk; it is consumed now.
      stats.decompressedBytes += inflated.output.length;
      yield inflated.output;
      checkTrailer(head.subarray(inflated.consumed), crc32(inflated.output), inflated.output.length);
      return;
    }
  }
  yield* inflateStream(input, stats);
}

/**
 * The deflate data at the front of `data` (the whole rest of the file) inflated at once, with how
 * many bytes it took; undefined when the output would exceed {@link SYNC_INFLATE_MAX_OUTPUT} or the
 * data is broken.
 */
function inflateWhole(data: Buffer): { output: Buffer; consumed: number } | undefined {
  try {
    // `info: true` returns the engine too, whose bytesWritten is where the deflate data ended.
    const options = { info: true, maxOutputLength: SYNC_INFLATE_MAX_OUTPUT } as ZlibOptions;
    const { buffer, engine } = inflateRawSync(data, options) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    return { output: buffer, consumed: engine.bytesWritten };
  } catch (err) {
    // Too large, truncated or corrupt: the streaming way handles it, and yields the records before
    // the damage, as it does for any file.
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' || isZlibError(err)) return undefined;
    throw err;
  }
}

/** A zlib error as the LogFileError it means. */
function inflateError(err: { code: string; message: string }): LogFileError {
  if (err.code === 'Z_BUF_ERROR') {
    return new LogFileError('truncated-gzip', 'file ends inside the compressed data', { cause: err });
  }
  return new LogFileError('corrupt-gzip', `cannot inflate: ${err.message}`, { cause: err });
}

/** Checks the CRC-32/ISIZE trailer at the front of `rest` (all that follows the deflate data). */
function checkTrailer(rest: Buffer, crc: number, size: number): void {
  if (rest.length < 8) throw new LogFileError('truncated-gzip', 'file ends before the gzip trailer');
  if (rest.readUInt32LE(0) !== crc >>> 0) throw new LogFileError('corrupt-gzip', 'gzip CRC-32 mismatch');
  if (rest.readUInt32LE(4) !== size % 2 ** 32) throw new LogFileError('corrupt-gzip', 'gzip ISIZE mismatch');
  if (rest.length > 8) throw new LogFileError('trailing-data', 'data after the end of the gzip member');
}

/** The streaming way, for files of more than one input piece: inflating overlaps with scanning. */
async function* inflateStream(input: ByteSource, stats: ScanStats): AsyncGenerator<Buffer> {
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

  // Input taken from the body that the inflater may not have consumed yet, with offsets: after the
  // end of the deflate data (inflate.bytesWritten stops growing) it holds the trailer and what follows.
  const unconsumed: { chunk: Buffer; start: number }[] = [];
  let taken = 0;
  let memberEnded = false;
  /** The consumer has stopped (an error, or it returned early): the pump reads no further. */
  let abandoned = false;
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
    unconsumed.push({ chunk: piece, start: taken });
    taken += piece.length;
    while ((unconsumed[1]?.start ?? Infinity) <= inflate.bytesWritten) unconsumed.shift();
    return piece;
  };

  // The pump feeds the inflater until the deflate data ends. A chunk it reads after that is kept in
  // `unconsumed`, never dropped: the trailer may arrive late and in pieces, as a network body's last
  // bytes do, and the consumer reads the rest of the body itself once the inflater has ended.
  const pump = (async () => {
    try {
      for (let chunk = await input.next(); chunk !== undefined; chunk = await input.next()) {
        batch.push(chunk);
        batchBytes += chunk.length;
        if (memberEnded || abandoned || inflate.destroyed) {
          takeBatch();
          return;
        }
        if (batchBytes >= INFLATE_INPUT_SIZE && !inflate.write(takeBatch())) await writable(inflate);
      }
      if (batchBytes > 0) {
        const piece = takeBatch();
        if (!memberEnded && !inflate.destroyed) inflate.write(piece);
      }
      if (!inflate.destroyed) inflate.end();
    } catch (err) {
      // Only the body throws here (writable() does not): its error is passed on as it is.
      bodyError = { error: err };
      if (!inflate.destroyed) inflate.destroy(new Error('the log file body failed', { cause: err }));
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
      if (isZlibError(err)) throw inflateError(err);
      throw err;
    }
    await pump;
    if (bodyError !== undefined) throw bodyError.error as Error;

    // The trailer, and whether anything follows it: read on until 9 bytes past the deflate data are
    // at hand or the body ends. A body error here is the body's own, passed on as it is.
    const consumed = inflate.bytesWritten;
    let rest = Buffer.concat(
      unconsumed
        .filter(({ chunk, start }) => start + chunk.length > consumed)
        .map(({ chunk, start }) => chunk.subarray(Math.max(0, consumed - start))),
    );
    while (rest.length <= 8) {
      const more = await input.next();
      if (more === undefined) break;
      rest = Buffer.concat([rest, more]);
    }
    checkTrailer(rest, crc, size);
  } finally {
    abandoned = true;
    inflate.destroy();
  }
}
