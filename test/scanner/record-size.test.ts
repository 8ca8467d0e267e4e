/**
 * Records larger than the scanner keeps (MAX_RECORD_BYTES, far above CloudTrail's 256 KB events):
 * skipped unread and reported, the rest of the file still selected, memory bounded whatever the
 * size of one record.
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { MAX_RECORD_BYTES } from '../../lambdas/shared/aws-limits';
import { scanLogFile, type ScanStats } from '../../lambdas/indexer/log-scanner';

const GLACIER = 'glacier.amazonaws.com';
const SOURCES: ReadonlySet<string> = new Set([GLACIER]);

/** A record of exactly `bytes` bytes of JSON. */
function recordOfSize(bytes: number, eventSource: string, eventID: string): string {
  const shell = JSON.stringify({ eventSource, eventID, note: '' });
  return shell.replace('"note":""', `"note":"${'y'.repeat(bytes - Buffer.byteLength(shell))}"`);
}

function chunked(text: string | Buffer, size: number): AsyncIterable<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  function* chunks() {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  }
  return Readable.from(chunks());
}

async function scan(body: AsyncIterable<Uint8Array>) {
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const ids: unknown[] = [];
  for await (const { record } of scanLogFile(body, SOURCES, stats)) ids.push(record.eventID);
  return { ids, stats };
}

describe('the record size limit, at its edge', () => {
  const small = (id: string) => JSON.stringify({ eventSource: GLACIER, eventID: id });

  test.each([
    ['whole', 1 << 30],
    ['64 KB chunks', 65_536],
    ['odd chunks', 100_003],
  ])(
    'a record of exactly the limit is selected, one byte more is skipped and reported (%s)',
    async (_name, size) => {
      // Prepare
      const at = recordOfSize(MAX_RECORD_BYTES, GLACIER, 'at');
      const over = recordOfSize(MAX_RECORD_BYTES + 1, GLACIER, 'over');
      const text = `{"Records":[${small('a')},${at},${small('b')},${over},${small('c')}]}`;

      // Act
      const { ids, stats } = await scan(chunked(text, size));

      // Assess
      expect(Buffer.byteLength(at)).toBe(MAX_RECORD_BYTES);
      expect(ids).toEqual(['a', 'at', 'b', 'c']);
      expect(stats).toMatchObject({
        recordsScanned: 5,
        recordsSelected: 4,
        recordsTooLarge: 1,
        candidatesTooLarge: 1,
        largestRecordBytes: MAX_RECORD_BYTES + 1,
      });
    },
  );

  test('a record of another service over the limit is counted, not as a candidate', async () => {
    // Prepare
    const text = `{"Records":[${recordOfSize(MAX_RECORD_BYTES + 10, 's3.amazonaws.com', 'x')},${small('a')}]}`;

    // Act
    const { ids, stats } = await scan(chunked(gzipSync(text), 65_536));

    // Assess
    expect(ids).toEqual(['a']);
    expect(stats.recordsTooLarge).toBe(1);
    expect(stats.candidatesTooLarge).toBeUndefined();
  });

  test('a record nested deeper than the scanner tracks is skipped, and the rest selected', async () => {
    // Prepare
    const depth = 70_000;
    const deep = `{"eventSource":"${GLACIER}","eventID":"deep","n":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const text = `{"Records":[${small('a')},${deep},${small('b')}]}`;

    // Act
    const { ids, stats } = await scan(chunked(text, 65_536));

    // Assess
    expect(ids).toEqual(['a', 'b']);
    expect(stats.candidatesTooLarge).toBe(1);
  });
});

test('memory stays bounded for a 256 MiB record, selected or not', async () => {
  // Prepare: the record streams in as fresh 1 MiB buffers; a scanner that kept them would hold
  // 256 MiB of them at its end.
  const mib = 1024 * 1024;
  const head = Buffer.from(`{"Records":[{"eventSource":"${GLACIER}","eventID":"huge","note":"`);
  const tail = Buffer.from(`"},{"eventSource":"${GLACIER}","eventID":"after"}]}`);
  // What is retained, not what the garbage collector has not got round to: collect before each look.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const retained = () => {
    gc();
    return process.memoryUsage().arrayBuffers;
  };
  let peak = 0;
  function* body() {
    yield head;
    for (let k = 0; k < 256; k++) {
      if (k % 16 === 0) peak = Math.max(peak, retained());
      yield Buffer.alloc(mib, 0x79);
    }
    yield tail;
  }
  const baseline = retained();

  // Act
  const { ids, stats } = await scan(Readable.from(body()));

  // Assess
  expect(ids).toEqual(['after']);
  expect(stats.recordsTooLarge).toBe(1);
  expect(stats.largestRecordBytes).toBeGreaterThan(256 * mib);
  expect(peak - baseline).toBeLessThan(MAX_RECORD_BYTES + 32 * mib);
});

test('a small file that inflates to more than the one-call limit (a deflate bomb) is streamed, and exact', async () => {
  // Prepare: 40 MiB of whitespace between records compresses to a few tens of kilobytes.
  const text = `{"Records":[{"eventSource":"${GLACIER}","eventID":"a"},${' '.repeat(40 * 1024 * 1024)}{"eventSource":"${GLACIER}","eventID":"b"}]}`;
  const gz = gzipSync(text);

  // Act
  const { ids, stats } = await scan(chunked(gz, 65_536));

  // Assess
  expect(gz.length).toBeLessThan(256 * 1024);
  expect(ids).toEqual(['a', 'b']);
  expect(stats.decompressedBytes).toBe(Buffer.byteLength(text));
});
