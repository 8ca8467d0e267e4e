/**
 * The scanner against bodies whose chunks arrive late, as an S3 body's do over a network: the last
 * bytes of a file (the gzip trailer, or data after it) may come after the deflate data has ended.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { GLACIER, SUPPORT, logFileText, prng } from '../../bench/cloudtrail-generator';
import { LogFileError, scanLogFile, type LogFileErrorReason } from '../../lambdas/indexer/log-scanner';

const SOURCES: ReadonlySet<string> = new Set([GLACIER, SUPPORT]);

/** One piece of a timed body: `bytes` bytes, delivered `delayMs` after the one before. */
interface Piece {
  readonly bytes: number;
  readonly delayMs: number;
}

/** A body that delivers `data` in the given pieces, each after its delay, then ends or fails. */
function timedBody(data: Buffer, pieces: readonly Piece[], failure?: Error): AsyncIterable<Uint8Array> {
  async function* chunks() {
    let at = 0;
    for (const piece of pieces) {
      if (piece.delayMs > 0) await sleep(piece.delayMs);
      yield data.subarray(at, at + piece.bytes);
      at += piece.bytes;
    }
    if (failure !== undefined) throw failure;
    if (at !== data.length) throw new Error(`test body: pieces cover ${at} of ${data.length} bytes`);
  }
  return Readable.from(chunks());
}

/** The pieces that cut `total` bytes at `cuts` (ascending offsets), each after `delayMs`. */
function cutAt(total: number, cuts: readonly number[], delayMs: number): Piece[] {
  const ends = [...cuts, total];
  return ends.map((end, k) => ({
    bytes: end - (k === 0 ? 0 : (ends[k - 1] ?? 0)),
    delayMs: k === 0 ? 0 : delayMs,
  }));
}

async function scan(body: AsyncIterable<Uint8Array>): Promise<{ records: unknown[]; error?: unknown }> {
  const records: unknown[] = [];
  try {
    for await (const selected of scanLogFile(body, SOURCES)) records.push(selected.record);
  } catch (error) {
    return { records, error };
  }
  return { records };
}

function naive(text: string): unknown[] {
  const parsed = JSON.parse(text) as { Records: { eventSource?: unknown }[] };
  return parsed.Records.filter((r) => SOURCES.has(r.eventSource as string));
}

function expectReason(error: unknown, reason: LogFileErrorReason): void {
  expect(error).toBeInstanceOf(LogFileError);
  expect((error as LogFileError).reason).toBe(reason);
}

/** 30 records in a stored (level 0) gzip larger than one inflater input batch (256 KB). */
function thirtyRecords(): { text: string; gz: Buffer } {
  const records = Array.from({ length: 30 }, (_, k) => ({
    eventVersion: '1.11',
    eventSource: k % 3 === 0 ? GLACIER : 's3.amazonaws.com',
    eventName: k % 3 === 0 ? 'DeleteVault' : 'GetObject',
    eventID: `e${k}`,
    padding: 'x'.repeat(8_700),
  }));
  const text = JSON.stringify({ Records: records });
  return { text, gz: gzipSync(text, { level: 0 }) };
}

describe('late chunks at the end of a gzip body', () => {
  const { text, gz } = thirtyRecords();

  test('the file is larger than one input batch', () => {
    expect(gz.length).toBeGreaterThan(256 * 1024);
  });

  test('a trailer that arrives in late pieces is read whole: the valid file passes', async () => {
    // Prepare: all but 3 bytes, then 2 bytes 20 ms later, then the last byte 20 ms after that.
    const body = timedBody(gz, cutAt(gz.length, [gz.length - 3, gz.length - 1], 20));

    // Act
    const outcome = await scan(body);

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual(naive(text));
  });

  test('one byte after the member, arriving late, is trailing data', async () => {
    // Prepare
    const bytes = Buffer.concat([gz, Buffer.from([0])]);
    const body = timedBody(bytes, cutAt(bytes.length, [gz.length], 30));

    // Act
    const outcome = await scan(body);

    // Assess
    expectReason(outcome.error, 'trailing-data');
  });

  test('a body that fails inside the trailer fails with its own error, not as a broken file', async () => {
    // Prepare
    const failure = new Error('socket hang up');
    const body = timedBody(gz, cutAt(gz.length - 1, [gz.length - 5], 20), failure);

    // Act
    const outcome = await scan(body);

    // Assess
    expect(outcome.error).toBe(failure);
  });

  test('a body that fails after the whole trailer, before it ends, fails with its own error', async () => {
    // Prepare
    const failure = new Error('read ECONNRESET');
    const body = timedBody(gz, cutAt(gz.length, [gz.length - 8], 20), failure);

    // Act
    const outcome = await scan(body);

    // Assess
    expect(outcome.error).toBe(failure);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])(
    'a late cut %i bytes before the end is read whole, with or without data after it',
    async (fromEnd) => {
      // Prepare
      const valid = timedBody(gz, cutAt(gz.length, [gz.length - fromEnd], 15));
      const withExtra = Buffer.concat([gz, Buffer.from('x')]);
      const trailing = timedBody(withExtra, cutAt(withExtra.length, [gz.length - fromEnd + 1], 15));
      const cut = gz.subarray(0, gz.length - 1);
      const truncated = timedBody(cut, cutAt(cut.length, [cut.length - fromEnd + 1], 15));

      // Act
      const outcomes = await Promise.all([scan(valid), scan(trailing), scan(truncated)]);

      // Assess
      expect(outcomes[0].error).toBeUndefined();
      expect(outcomes[0].records).toEqual(naive(text));
      expectReason(outcomes[1].error, 'trailing-data');
      expectReason(outcomes[2].error, 'truncated-gzip');
    },
  );
});

describe('timed bodies: selection still equals JSON.parse, the trailer is still checked', () => {
  test.each([1, 2, 3, 4])('seed %i', async (seed) => {
    // Prepare: a compressed file over one input batch, cut at random, with random delays; the last
    // cut falls inside the trailer.
    const text = [...logFileText(seed, 3_000_000, { selectedShare: 0.05, largeShare: 0.02 })].join('');
    const gz = gzipSync(text, { level: 1 });
    const rng = prng(seed);
    const cuts: number[] = [];
    for (let at = Math.floor(rng() * 70_000); at < gz.length - 8; at += 1 + Math.floor(rng() * 90_000))
      cuts.push(at);
    cuts.push(gz.length - 1 - Math.floor(rng() * 7));
    const pieces = cutAt(gz.length, cuts, 0).map((piece) => ({
      ...piece,
      delayMs: rng() < 0.3 ? Math.floor(rng() * 8) : 0,
    }));
    // The trailer's last piece always comes late.
    pieces[pieces.length - 1] = { bytes: pieces[pieces.length - 1]?.bytes ?? 0, delayMs: 5 };
    const withExtra = Buffer.concat([gz, Buffer.from([0x1f])]);
    const extraPieces = [...pieces, { bytes: 1, delayMs: 5 }];

    // Act
    const good = await scan(timedBody(gz, pieces));
    const trailing = await scan(timedBody(withExtra, extraPieces));

    // Assess
    expect(gz.length).toBeGreaterThan(256 * 1024);
    expect(good.error).toBeUndefined();
    expect(good.records).toEqual(naive(text));
    expect(good.records.length).toBeGreaterThan(10);
    expectReason(trailing.error, 'trailing-data');
    expect(trailing.records).toEqual(good.records);
  });
});
