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
 * The work is split in two: `log-file-framing.ts` turns the body into decompressed bytes (gzip
 * member, trailer and what follows it), and `record-scanner.ts` splits and selects records.
 */
import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { LogFileError, type ScanStats, type SelectedRecord } from './log-file-error';
import { ByteSource, inflateMember, plain } from './log-file-framing';
import { RecordScanner } from './record-scanner';

export { LogFileError, type LogFileErrorReason, type ScanStats, type SelectedRecord } from './log-file-error';

/** Decompressed bytes scanned between two turns of the event loop. */
const SCAN_SLICE = 128 * 1024;

/**
 * Streams a CloudTrail log file (gzip or plain JSON) and yields the records whose eventSource is in
 * `sources`. Throws LogFileError when the file is broken (possibly after yielding earlier records).
 * Memory independent of file size.
 */
export async function* scanLogFile(
  body: AsyncIterable<Uint8Array>,
  sources: ReadonlySet<string>,
  stats: ScanStats = { compressedBytes: 0, decompressedBytes: 0, recordsScanned: 0, recordsSelected: 0 },
  /** Sources wanted only for some event names (see RecordScanner). */
  nameFilters?: ReadonlyMap<string, readonly string[]>,
): AsyncGenerator<SelectedRecord> {
  const input = new ByteSource(body, stats);
  try {
    const head = await input.peek(2);
    if (head.length === 0) throw new LogFileError('not-a-log-file', 'empty file');
    const scanner = new RecordScanner(sources, stats, nameFilters);
    const selected: SelectedRecord[] = [];
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const decompressed = gzip ? inflateMember(input, stats) : plain(input, stats);
    // The digest's hash of the file, in the same pass: no second download to verify it.
    const hash = gzip ? createHash('sha256') : undefined;
    for await (const chunk of decompressed) {
      hash?.update(chunk);
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
    if (hash !== undefined) stats.sha256 = hash.digest('hex');
  } finally {
    await input.close();
  }
}
