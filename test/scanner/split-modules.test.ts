/**
 * The two halves of the log scanner on their own: the gzip framing (bytes in, decompressed bytes
 * out) against zlib's gunzip, and the record scanner (JSON text in, selected records out) against
 * JSON.parse, each fed at many chunk sizes.
 */
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GLACIER, SUPPORT, logFileText, prng } from '../../bench/cloudtrail-generator';
import { LogFileError, type ScanStats, type SelectedRecord } from '../../lambdas/indexer/log-file-error';
import { ByteSource, inflateMember } from '../../lambdas/indexer/log-file-framing';
import { RecordScanner } from '../../lambdas/indexer/record-scanner';

const SOURCES: ReadonlySet<string> = new Set([GLACIER, SUPPORT]);
const freshStats = (): ScanStats => ({
  compressedBytes: 0,
  decompressedBytes: 0,
  recordsScanned: 0,
  recordsSelected: 0,
});

function pieces(bytes: Buffer, seed: number): Buffer[] {
  const rng = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length;) {
    const size = 1 + Math.floor(rng() * (rng() < 0.3 ? 7 : 90_000));
    out.push(bytes.subarray(i, i + size));
    i += size;
  }
  return out;
}

async function inflateAll(gz: Buffer, seed: number): Promise<Buffer> {
  const stats = freshStats();
  const out: Buffer[] = [];
  for await (const chunk of inflateMember(new ByteSource(Readable.from(pieces(gz, seed)), stats), stats))
    out.push(chunk);
  return Buffer.concat(out);
}

describe('gzip framing alone', () => {
  test.each([1, 2, 3])(
    'inflates exactly what gunzip does, small and streamed files, seed %i',
    async (seed) => {
      // Prepare: one file under one input piece (inflated in one call), one far over it (streamed).
      const small = gzipSync([...logFileText(seed, 50_000, { selectedShare: 0.05 })].join(''));
      const large = gzipSync([...logFileText(seed, 3_000_000, { selectedShare: 0.05 })].join(''), {
        level: 1,
      });

      // Act
      const outputs = await Promise.all([inflateAll(small, seed), inflateAll(large, seed)]);

      // Assess
      expect(large.length).toBeGreaterThan(256 * 1024);
      expect(outputs[0].equals(gunzipSync(small))).toBe(true);
      expect(outputs[1].equals(gunzipSync(large))).toBe(true);
    },
  );

  test('a trailer that does not match fails, whichever way the file was inflated', async () => {
    // Prepare
    const small = gzipSync('{"Records":[]}');
    const large = gzipSync([...logFileText(9, 3_000_000, { selectedShare: 0 })].join(''), { level: 1 });
    const broken = [small, large].map((gz) => {
      const copy = Buffer.from(gz);
      copy[copy.length - 5] = (copy[copy.length - 5] ?? 0) ^ 1;
      return copy;
    });

    // Act
    const outcomes = await Promise.all(broken.map((gz) => inflateAll(gz, 4).catch((err: unknown) => err)));

    // Assess
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(LogFileError);
      expect((outcome as LogFileError).reason).toBe('corrupt-gzip');
    }
  });
});

describe('record scanner alone', () => {
  test.each([1, 2, 3, 4])('selects what JSON.parse selects, fed in random pieces, seed %i', (seed) => {
    // Prepare
    const text = [...logFileText(seed, 1_000_000, { selectedShare: 0.05, largeShare: 0.02 })].join('');
    const expected = (JSON.parse(text) as { Records: { eventSource?: string }[] }).Records.filter((r) =>
      SOURCES.has(r.eventSource ?? ''),
    );
    const stats = freshStats();
    const scanner = new RecordScanner(SOURCES, stats);
    const out: SelectedRecord[] = [];

    // Act
    for (const piece of pieces(Buffer.from(text), seed)) scanner.feed(piece, out);
    scanner.end();

    // Assess
    expect(out.map((s) => s.record)).toEqual(expected);
    expect(stats.recordsScanned).toBe((JSON.parse(text) as { Records: unknown[] }).Records.length);
  });
});
