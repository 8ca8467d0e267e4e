import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { logFileText } from '../../bench/cloudtrail-generator';
import { hashLogFile } from '../../lambdas/indexer/log-file-hash';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const body = (bytes: Buffer, size = 65_536) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, k) =>
      bytes.subarray(k * size, (k + 1) * size),
    ),
  );

/** A copy with one bit of the byte at `at` (from the end when negative) flipped. */
function flipped(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  const index = at < 0 ? copy.length + at : at;
  copy[index] = (copy[index] ?? 0) ^ 1;
  return copy;
}

describe('hashLogFile', () => {
  const small = '{"Records":[{"eventSource":"glacier.amazonaws.com"}]}';
  const large = [...logFileText(4, 3_000_000, { selectedShare: 0.01 })].join('');

  test.each([
    ['a small file', small],
    ['a file of several input pieces', large],
  ])('gives the SHA-256 of the decompressed bytes of %s', async (_name, text) => {
    // Act
    const result = await hashLogFile(body(gzipSync(text, { level: 1 })));

    // Assess
    expect(result).toEqual({ ok: true, sha256: sha256(text), decompressedBytes: Buffer.byteLength(text) });
  });

  test.each<[string, Buffer, string]>([
    ['one byte after the member', Buffer.concat([gzipSync(small), Buffer.from([0])]), 'trailing-data'],
    ['a second member', Buffer.concat([gzipSync(small), gzipSync(small)]), 'trailing-data'],
    ['a cut trailer', gzipSync(small).subarray(0, -3), 'truncated-gzip'],
    ['plain JSON', Buffer.from(small), 'not-a-log-file'],
    ['a flipped CRC', flipped(gzipSync(large), -6), 'corrupt-gzip'],
  ])('calls %s invalid, with the reason', async (_name, bytes, reason) => {
    // Act
    const result = await hashLogFile(body(bytes));

    // Assess
    expect(result).toMatchObject({ ok: false, reason });
  });

  test('a body error is thrown as it is', async () => {
    // Prepare
    const failure = new Error('socket hang up');
    async function* failing() {
      await Promise.resolve();
      yield gzipSync(large).subarray(0, 300_000);
      throw failure;
    }

    // Act / Assess
    await expect(hashLogFile(Readable.from(failing()))).rejects.toBe(failure);
  });
});
