import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { GLACIER, SUPPORT, logFileText, makeRecord, prng } from '../../bench/cloudtrail-generator';
import {
  LogFileError,
  scanLogFile,
  type LogFileErrorReason,
  type ScanStats,
} from '../../lambdas/indexer/log-scanner';

const SOURCES: ReadonlySet<string> = new Set([GLACIER, SUPPORT]);

/** A stream body, as the S3 SDK gives, of `size`-byte chunks. */
function chunked(bytes: Buffer, size: number): AsyncIterable<Uint8Array> {
  function* chunks() {
    for (let i = 0; i < bytes.length; i += size) {
      // Plain Uint8Array views, as any AsyncIterable<Uint8Array> body may give.
      yield new Uint8Array(bytes.buffer, bytes.byteOffset + i, Math.min(size, bytes.length - i));
    }
  }
  return Readable.from(chunks());
}

function randomlyChunked(bytes: Buffer, seed: number): AsyncIterable<Uint8Array> {
  function* chunks() {
    const rng = prng(seed);
    let i = 0;
    while (i < bytes.length) {
      const size = 1 + Math.floor(rng() * (rng() < 0.5 ? 16 : 70_000));
      yield bytes.subarray(i, i + size);
      i += size;
    }
  }
  return Readable.from(chunks());
}

interface Outcome {
  readonly raws: string[];
  readonly records: Record<string, unknown>[];
  readonly error?: unknown;
  readonly stats: ScanStats;
}

async function scan(body: AsyncIterable<Uint8Array>, sources = SOURCES): Promise<Outcome> {
  const stats: ScanStats = {
    compressedBytes: 0,
    decompressedBytes: 0,
    recordsScanned: 0,
    recordsSelected: 0,
  };
  const raws: string[] = [];
  const records: Record<string, unknown>[] = [];
  try {
    for await (const selected of scanLogFile(body, sources, stats)) {
      raws.push(selected.raw);
      records.push(selected.record);
    }
  } catch (error) {
    return { raws, records, error, stats };
  }
  return { raws, records, stats };
}

/** The reference: parse everything, then filter. */
function naive(text: string, sources = SOURCES): unknown[] {
  const parsed = JSON.parse(text) as { Records: unknown[] };
  return parsed.Records.filter(
    (r) =>
      typeof r === 'object' &&
      r !== null &&
      sources.has((r as { eventSource?: unknown }).eventSource as string),
  );
}

function generated(seed: number, bytes: number, selectedShare = 0.02): string {
  return [...logFileText(seed, bytes, { selectedShare, largeShare: 0.02 })].join('');
}

function logFile(records: readonly unknown[]): string {
  return JSON.stringify({ Records: records });
}

const glacierRecord = (extra: Record<string, unknown> = {}) => ({
  eventVersion: '1.11',
  eventSource: GLACIER,
  eventName: 'DeleteVault',
  eventID: 'e1',
  requestParameters: { accountId: '-', vaultName: 'v' },
  ...extra,
});
const s3Record = (extra: Record<string, unknown> = {}) => ({
  eventSource: 's3.amazonaws.com',
  eventName: 'GetObject',
  eventID: 's1',
  ...extra,
});

function expectReason(outcome: Outcome, reason: LogFileErrorReason): void {
  expect(outcome.error).toBeInstanceOf(LogFileError);
  expect((outcome.error as LogFileError).reason).toBe(reason);
  expect((outcome.error as LogFileError).name).toBe('LogFileError');
}

describe('scanLogFile selects exactly what parsing everything would', () => {
  test.each([1, 2, 3, 4])('generated gzip file, seed %i', async (seed) => {
    // Prepare
    const text = generated(seed, 2_000_000, 0.05);
    const gz = gzipSync(text);

    // Act
    const outcome = await scan(randomlyChunked(gz, seed));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual(naive(text));
    expect(outcome.records.length).toBeGreaterThan(10);
    expect(outcome.raws.map((raw) => JSON.parse(raw) as unknown)).toEqual(outcome.records);
    expect(outcome.stats).toEqual({
      compressedBytes: gz.length,
      decompressedBytes: Buffer.byteLength(text),
      recordsScanned: (JSON.parse(text) as { Records: unknown[] }).Records.length,
      recordsSelected: outcome.records.length,
      // The digest's hash of the file, from the same pass.
      sha256: createHash('sha256').update(text).digest('hex'),
    });
  });

  test('hashes only a gzip file that ended cleanly: not plain JSON, not one with data after it', async () => {
    // Prepare
    const text = generated(5, 100_000, 0.05);
    const trailing = Buffer.concat([gzipSync(text), Buffer.from('appended')]);

    // Act
    const plainText = await scan(randomlyChunked(Buffer.from(text), 5));
    const appended = await scan(randomlyChunked(trailing, 5));

    // Assess
    expect(plainText.error).toBeUndefined();
    expect(plainText.stats.sha256).toBeUndefined();
    expect((appended.error as LogFileError).reason).toBe('trailing-data');
    expect(appended.stats.sha256).toBeUndefined();
  });

  test('generated plain JSON file', async () => {
    // Prepare
    const text = generated(9, 1_000_000, 0.05);

    // Act
    const outcome = await scan(chunked(Buffer.from(text), 65_536));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual(naive(text));
  });

  test('another source list selects other records', async () => {
    // Prepare
    const text = generated(5, 500_000, 0.05);
    const sources = new Set(['s3.amazonaws.com']);

    // Act
    const outcome = await scan(chunked(gzipSync(text), 4096), sources);

    // Assess
    expect(outcome.records).toEqual(naive(text, sources));
    expect(outcome.records.length).toBeGreaterThan(0);
  });

  test.each([
    ['gzip', true],
    ['plain', false],
  ])('1-byte chunks of a small %s file', async (_name, compress) => {
    // Prepare
    const text = generated(11, 20_000, 0.3);
    const bytes = compress ? gzipSync(text) : Buffer.from(text);

    // Act
    const outcome = await scan(chunked(bytes, 1));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual(naive(text));
    expect(outcome.records.length).toBeGreaterThan(0);
  });

  test('pretty-printed JSON keeps each record text exactly', async () => {
    // Prepare
    const records = [glacierRecord(), s3Record(), glacierRecord({ eventID: 'e2', eventSource: SUPPORT })];
    const text = JSON.stringify({ Records: records }, null, 4);

    // Act
    const outcome = await scan(chunked(gzipSync(text), 7));

    // Assess
    expect(outcome.records).toEqual([records[0], records[2]]);
    expect(outcome.raws[0]).toBe(JSON.stringify(records[0], null, 4).replace(/\n/g, '\n        '));
  });

  test('multi-byte UTF-8 split across chunks', async () => {
    // Prepare
    const record = glacierRecord({
      userAgent: 'ünïcødé 東京 🚀 مرحبا',
      requestParameters: { vaultName: '🚀'.repeat(50) },
    });
    const text = logFile([s3Record({ note: '日本語' }), record]);

    // Act
    const outcomes = await Promise.all([1, 2, 3, 5].map((size) => scan(chunked(gzipSync(text), size))));
    const plain = await scan(chunked(Buffer.from(text), 1));

    // Assess
    for (const outcome of [...outcomes, plain]) {
      expect(outcome.records).toEqual([record]);
      expect(outcome.raws).toEqual([JSON.stringify(record)]);
    }
  });

  test('a 300 KB record', async () => {
    // Prepare
    const big = glacierRecord({ requestParameters: { policy: 'x'.repeat(300_000), vaultName: 'v' } });
    const text = logFile([
      s3Record(),
      big,
      s3Record({ blob: 'y'.repeat(300_000) }),
      glacierRecord({ eventID: 'e3' }),
    ]);

    // Act
    const outcome = await scan(chunked(gzipSync(text), 16_384));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual([big, glacierRecord({ eventID: 'e3' })]);
    expect(outcome.raws[0]).toHaveLength(JSON.stringify(big).length);
  });

  test('empty Records, other top-level keys and whitespace are fine', async () => {
    // Prepare
    const texts = ['{"Records":[]}', ' \n{ "other": [1, {"Records": 2}], "Records" : [ ] , "x": null }\n\t'];

    // Act
    const outcomes = await Promise.all(texts.map((text) => scan(chunked(gzipSync(text), 3))));

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.records).toEqual([]);
    }
  });

  test('only the record-level eventSource counts', async () => {
    // Prepare
    const decoys = [
      s3Record({ requestParameters: { eventSource: GLACIER, text: `"eventSource":"${GLACIER}"` } }),
      s3Record({ userIdentity: { type: 'AWSService', invokedBy: GLACIER } }),
      { eventType: 'AwsCloudTrailInsight', insightDetails: { eventSource: GLACIER } },
      { eventSource: [GLACIER] },
      { eventSource: null },
      { eventSource: `${GLACIER} ` },
    ];
    const text = `{"Records":[${decoys.map((d) => JSON.stringify(d)).join(',')},"${GLACIER}",42,null,[{"eventSource":"${GLACIER}"}]]}`;

    // Act
    const outcome = await scan(chunked(gzipSync(text), 5));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual([]);
    expect(outcome.stats.recordsScanned).toBe(decoys.length + 4);
  });

  test('an escape at the end of a long source value is still seen', async () => {
    // Prepare: only the last character is escaped, past the bytes of a string scanned one by one.
    const source = 'a-rather-long-event-source-name.example.amazonaws.com';
    const text = `{"Records":[{"eventSource":"${source.slice(0, -1)}\\u006d"},{"eventSource":"${source}"}]}`;

    // Act
    const outcome = await scan(chunked(Buffer.from(text), 3), new Set([source]));

    // Assess
    expect(outcome.records).toEqual([{ eventSource: source }, { eventSource: source }]);
  });

  test('long strings with escaped quotes and backslash runs, cut anywhere', async () => {
    // Prepare
    const tricky = ['\\', '\\"', '"', '\\\\', 'x'.repeat(70), '\\u0041', '}', ']'];
    const rng = prng(17);
    const records = Array.from({ length: 40 }, (_, k) => {
      let text = '';
      for (let n = 0; n < 30; n++) text += tricky[Math.floor(rng() * tricky.length)] ?? '';
      return k % 3 === 0 ? glacierRecord({ eventID: `e${k}`, text }) : s3Record({ eventID: `s${k}`, text });
    });
    const text = logFile(records);
    const gz = gzipSync(text);

    // Act
    const outcomes = await Promise.all([
      scan(chunked(Buffer.from(text), 1)),
      ...[5, 6, 7].map((seed) => scan(randomlyChunked(gz, seed))),
    ]);

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.records).toEqual(naive(text));
      expect(outcome.stats.recordsScanned).toBe(40);
    }
  });

  test('short strings of bytes near a quote, at every chunk size and offset', async () => {
    // Prepare: strings are searched four bytes at a time; here quotes, escapes and bytes next to '"'
    // (0x21, 0x23) or with the high bit set fall at every position of a word and of a chunk.
    const pieces = ['', '!', '#', '\\"', '\\\\', 'é', '\u{1F680}', '"#', '!"', 'ab', 'abc', 'abcd'];
    const rng = prng(23);
    const records = Array.from({ length: 30 }, (_, k) => {
      const strings: Record<string, string> = {};
      for (let n = 0; n < 6; n++) {
        let value = '';
        const count = Math.floor(rng() * 4);
        for (let m = 0; m < count; m++) value += pieces[Math.floor(rng() * pieces.length)] ?? '';
        strings[`k${n}${value.length % 3 === 0 ? '' : '#'}`] = value;
      }
      return k % 4 === 0
        ? glacierRecord(strings)
        : k % 4 === 1
          ? { eventSource: SUPPORT, ...strings }
          : s3Record(strings);
    });
    const text = logFile(records);
    const bytes = Buffer.from(text);

    // Act
    const outcomes = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 13].map((size) => scan(chunked(bytes, size))),
    );

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.records).toEqual(naive(text));
      expect(outcome.records).toHaveLength(16);
      expect(outcome.stats.recordsScanned).toBe(30);
    }
  });

  test('an empty source selects records whose eventSource is empty', async () => {
    // Prepare
    const text = logFile([s3Record(), { eventSource: '' }, { eventSource: '\u0000' }]);

    // Act
    const outcome = await scan(chunked(Buffer.from(text), 4), new Set(['']));

    // Assess
    expect(outcome.records).toEqual([{ eventSource: '' }]);
  });

  test('escaped keys and values and duplicate keys read as JSON.parse reads them', async () => {
    // Prepare
    const text =
      '{"Rec\\u006frds":[' +
      '{"event\\u0053ource":"glacier\\u002eamazonaws.com","n":1},' +
      `{"\\u0065\\u0076\\u0065\\u006e\\u0074\\u0053\\u006f\\u0075\\u0072\\u0063\\u0065":"${SUPPORT}"},` +
      `{"eventSource":"${GLACIER}","eventSource":"s3.amazonaws.com"},` +
      `{"eventSource":"s3.amazonaws.com","eventSource":"${SUPPORT}"},` +
      `{"eventSource":"${GLACIER}","eventSource":{"a":1}}` +
      ']}';

    // Act
    const outcome = await scan(chunked(Buffer.from(text), 2));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toEqual(naive(text));
    expect(outcome.records).toHaveLength(3);
  });
});

describe('scanLogFile rejects broken files', () => {
  const good = logFile([glacierRecord(), s3Record(), glacierRecord({ eventID: 'e2' })]);
  const gz = gzipSync(good);

  test.each<[string, Buffer, LogFileErrorReason]>([
    ['text that is not JSON', Buffer.from('hello world'), 'not-a-log-file'],
    ['binary data', Buffer.from([0x00, 0x01, 0x02, 0x03]), 'not-a-log-file'],
    ['an empty file', Buffer.alloc(0), 'not-a-log-file'],
    ['half a gzip magic', Buffer.from([0x1f]), 'not-a-log-file'],
    ['a flipped bit in the deflate data', flip(gz, 20), 'corrupt-gzip'],
    ['a wrong CRC-32', flip(gz, gz.length - 6), 'corrupt-gzip'],
    ['a wrong ISIZE', flip(gz, gz.length - 2), 'corrupt-gzip'],
    ['an unknown compression method', patch(gz, 2, 7), 'corrupt-gzip'],
    ['reserved header flags', patch(gz, 3, 0x80), 'corrupt-gzip'],
    ['a cut in the header', gz.subarray(0, 6), 'truncated-gzip'],
    ['a cut in the deflate data', gz.subarray(0, gz.length - 30), 'truncated-gzip'],
    ['a cut in the trailer', gz.subarray(0, gz.length - 3), 'truncated-gzip'],
    ['no trailer', gz.subarray(0, gz.length - 8), 'truncated-gzip'],
    ['a second gzip member', Buffer.concat([gz, gzipSync(good)]), 'trailing-data'],
    ['trailing garbage', Buffer.concat([gz, Buffer.from('garbage')]), 'trailing-data'],
    ['one trailing zero byte', Buffer.concat([gz, Buffer.alloc(1)]), 'trailing-data'],
    ['truncated JSON', gzipSync(good.slice(0, -10)), 'invalid-json'],
    ['a missing comma', gzipSync('{"Records":[{"a":1}{"b":2}]}'), 'invalid-json'],
    [
      'a bad literal in a selected record',
      gzipSync(`{"Records":[{"eventSource":"${GLACIER}","a":tru}]}`),
      'invalid-json',
    ],
    ['a bad literal outside records', gzipSync('{"Records":[],"a":tru}'), 'invalid-json'],
    ['a leading-zero number', gzipSync(`{"Records":[{"eventSource":"${SUPPORT}","a":012}]}`), 'invalid-json'],
    ['a leading-zero number outside records', gzipSync('{"Records":[012]}'), 'invalid-json'],
    ['unbalanced brackets in any record', gzipSync('{"Records":[{"a":[1}]}'), 'invalid-json'],
    ['a closing bracket too many in a record', gzipSync('{"Records":[{"a":1}}]}'), 'invalid-json'],
    ['an unterminated string in any record', gzipSync('{"Records":[{"a":"b}]}'), 'invalid-json'],
    ['text after the JSON value', gzipSync(`${good} {}`), 'invalid-json'],
    [
      'a bad escape in a selected record',
      gzipSync(`{"Records":[{"eventSource":"${GLACIER}","a":"\\x"}]}`),
      'invalid-json',
    ],
    ['a JSON array', gzipSync('[{"eventSource":"glacier.amazonaws.com"}]'), 'missing-records'],
    ['no Records key', gzipSync('{"logFiles":[]}'), 'missing-records'],
    ['Records that is not an array', gzipSync('{"Records":{"a":1}}'), 'missing-records'],
    ['a JSON string', Buffer.from('"Records"'), 'missing-records'],
  ])('%s', async (_name, bytes, reason) => {
    // Act
    const outcome = await scan(chunked(bytes, 64));

    // Assess
    expectReason(outcome, reason);
  });

  test.each<[string, string]>([
    [
      'a bad escape in a Records element that is not an object',
      `{"Records":["\\q",{"eventSource":"${GLACIER}"}]}`,
    ],
    ['a control character in a top-level key', `{"Rec\u0001":1,"Records":[]}`],
    ['a raw tab in a top-level value', `{"Records":[],"note":"a\tb"}`],
    ['a short \\u escape in a nested key outside Records', `{"Other":{"a\\u12G4":1},"Records":[]}`],
    ['a bad escape in a nested value outside Records', `{"Records":[],"Other":[{"k":"\\a"}]}`],
    ['a newline in a string element of Records', `{"Records":["a\nb"]}`],
  ])('strings outside records are validated as JSON.parse does: %s', async (_name, text) => {
    // Prepare
    expect(() => JSON.parse(text) as unknown).toThrow();

    // Act: whole, and one byte at a time (escapes cut by chunk boundaries).
    const outcomes = await Promise.all([
      scan(chunked(Buffer.from(text), 4096)),
      scan(chunked(Buffer.from(text), 1)),
    ]);

    // Assess
    for (const outcome of outcomes) {
      expectReason(outcome, 'invalid-json');
      expect(outcome.records).toEqual([]);
    }
  });

  test('every escape JSON allows outside records is accepted, cut anywhere', async () => {
    // Prepare
    const text = `{"a\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00":["\\u0041",{"\\u0052":"x"}],"Records":["\\n",{"eventSource":"${GLACIER}"}]}`;
    const expected = naive(text);

    // Act
    const outcomes = await Promise.all(
      [1, 2, 3, 5, 4096].map((size) => scan(chunked(Buffer.from(text), size))),
    );

    // Assess
    for (const outcome of outcomes) {
      expect(outcome.error).toBeUndefined();
      expect(outcome.records).toEqual(expected);
    }
  });

  test('a gzip header with name, comment, extra field and header CRC is read', async () => {
    // Prepare: FTEXT|FHCRC|FEXTRA|FNAME|FCOMMENT, then the deflate data and trailer of a plain gzip.
    const head = Buffer.concat([
      Buffer.from([0x1f, 0x8b, 8, 0x1f, 0, 0, 0, 0, 0, 3]),
      Buffer.from([3, 0, 1, 2, 3]),
      Buffer.from('name.json\0comment\0'),
    ]);
    const { crc32 } = await import('node:zlib');
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(crc32(head) & 0xffff);
    const bytes = Buffer.concat([head, hcrc, gz.subarray(10)]);

    // Act
    const outcome = await scan(chunked(bytes, 1));
    const badHeaderCrc = await scan(chunked(flip(bytes, head.length), 64));

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.records).toHaveLength(2);
    expectReason(badHeaderCrc, 'corrupt-gzip');
  });

  test('a file of several megabytes compressed: exact, and its trailer still checked', async () => {
    // Prepare: random payloads do not compress, so the gzip spans many input pieces.
    const rng = prng(31);
    const payload = () =>
      Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(rng() * 256))).toString('base64');
    const records = Array.from({ length: 12 }, (_, k) =>
      k % 4 === 0
        ? glacierRecord({ eventID: `e${k}`, blob: payload() })
        : s3Record({ eventID: `s${k}`, blob: payload() }),
    );
    const text = logFile(records);
    const gz = gzipSync(text);

    // Act
    const good = await scan(chunked(gz, 16_384));
    const trailing = await scan(chunked(Buffer.concat([gz, Buffer.from('x')]), 16_384));
    const member = await scan(chunked(Buffer.concat([gz, gzipSync('{}')]), 65_536));
    const cut = await scan(chunked(gz.subarray(0, gz.length - 4), 65_536));

    // Assess
    expect(gz.length).toBeGreaterThan(3_000_000);
    expect(good.error).toBeUndefined();
    expect(good.records).toEqual(naive(text));
    expectReason(trailing, 'trailing-data');
    expectReason(member, 'trailing-data');
    expectReason(cut, 'truncated-gzip');
  });

  test('records before the damage are yielded, then the error is thrown', async () => {
    // Prepare
    const text = generated(21, 3_000_000, 0.05);
    const full = gzipSync(text);
    const cut = full.subarray(0, Math.floor(full.length / 2));

    // Act
    const outcome = await scan(chunked(cut, 65_536));

    // Assess
    expectReason(outcome, 'truncated-gzip');
    expect(outcome.records.length).toBeGreaterThan(0);
    expect(outcome.records).toEqual(naive(text).slice(0, outcome.records.length));
  });

  test('an error of the body stream is passed on as it is', async () => {
    // Prepare
    const failure = new Error('socket hang up');
    function* failing() {
      yield gz.subarray(0, 40);
      throw failure;
    }

    // Act
    const outcome = await scan(Readable.from(failing()));

    // Assess
    expect(outcome.error).toBe(failure);
  });

  test('the selected record objects are parsed from their raw text', async () => {
    // Prepare
    const rng = prng(3);
    const record = makeRecord(rng, { selectedShare: 1 });
    const text = logFile([record]);

    // Act
    const outcome = await scan(chunked(Buffer.from(text), 100));

    // Assess
    expect(outcome.raws).toEqual([JSON.stringify(record)]);
    expect(outcome.records).toEqual([record]);
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0xff;
  return copy;
}

function patch(bytes: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = value;
  return copy;
}

describe('sources wanted only for some event names (the alert rules of services not indexed)', () => {
  const filters = new Map([['kms.amazonaws.com', ['DisableKey', 'ScheduleKeyDeletion']]]);
  const sources = new Set([GLACIER, 'kms.amazonaws.com']);
  const kms = (eventName: string, extra: Record<string, unknown> = {}) => ({
    eventSource: 'kms.amazonaws.com',
    eventName,
    eventID: eventName,
    ...extra,
  });
  const scanFiltered = async (records: unknown[]) => {
    const stats: ScanStats = {
      compressedBytes: 0,
      decompressedBytes: 0,
      recordsScanned: 0,
      recordsSelected: 0,
    };
    const selected: Record<string, unknown>[] = [];
    const body = chunked(gzipSync(Buffer.from(logFile(records))), 7);
    for await (const { record } of scanLogFile(body, sources, stats, filters)) selected.push(record);
    return { selected, stats };
  };

  test('a record whose own event name is none of the names is never parsed; one that may be is, as JSON.parse reads it', async () => {
    // Prepare
    const records = [
      kms('Decrypt'),
      kms('DisableKey'),
      kms('GenerateDataKey', { requestParameters: { note: 'mentions DisableKey' } }),
      // A second "eventName" (nested): which one is the record's own is for JSON.parse to say.
      kms('DisableKey', { eventID: 'nested', requestParameters: { eventName: 'Decrypt' } }),
      // An escape may spell a name: parsed, and selected by what JSON.parse reads.
      kms('ScheduleKeyDeletion', { eventID: 'escaped' }),
      glacierRecord({ eventID: 'g' }),
    ];
    const text = logFile(records).replace(
      '"eventName":"ScheduleKeyDeletion"',
      '"eventName":"Sched\\u0075leKeyDeletion"',
    );

    // Act
    const stats: ScanStats = {
      compressedBytes: 0,
      decompressedBytes: 0,
      recordsScanned: 0,
      recordsSelected: 0,
    };
    const selected: string[] = [];
    for await (const { record } of scanLogFile(
      chunked(gzipSync(Buffer.from(text)), 5),
      sources,
      stats,
      filters,
    )) {
      selected.push(String(record.eventID));
    }

    // Assess: Decrypt is skipped unparsed; the others are selected (the rules decide on them).
    expect(selected).toEqual(['DisableKey', 'nested', 'escaped', 'g']);
    expect(stats.recordsScanned).toBe(6);
  });

  test('JSON that CloudTrail does not write (spacing) is left to JSON.parse, never skipped', async () => {
    // Prepare
    const text = logFile([kms('DisableKey', { eventID: 'spaced' })]).replace(
      '"eventName":"DisableKey"',
      '"eventName" : "DisableKey"',
    );
    // Act
    const selected: unknown[] = [];
    const stats: ScanStats = {
      compressedBytes: 0,
      decompressedBytes: 0,
      recordsScanned: 0,
      recordsSelected: 0,
    };
    for await (const { record } of scanLogFile(
      chunked(gzipSync(Buffer.from(text)), 9),
      sources,
      stats,
      filters,
    ))
      selected.push(record.eventID);
    // Assess
    expect(selected).toEqual(['spaced']);
  });

  test('with no filter, every record of the source is selected', async () => {
    // Act
    const stats: ScanStats = {
      compressedBytes: 0,
      decompressedBytes: 0,
      recordsScanned: 0,
      recordsSelected: 0,
    };
    const selected: unknown[] = [];
    for await (const r of scanLogFile(
      chunked(gzipSync(Buffer.from(logFile([kms('Decrypt')]))), 64),
      sources,
      stats,
    ))
      selected.push(r);
    const filtered = await scanFiltered([kms('Decrypt')]);

    // Assess
    expect(selected).toHaveLength(1);
    expect(filtered.selected).toEqual([]);
  });
});
