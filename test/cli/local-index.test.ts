import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../../cli/errors';
import { localPaths, lockDataDir } from '../../cli/local-index';
import { locationOfKey } from '../../cli/local-summary';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'trail-index-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('takes the directory and gives it back', async () => {
    const release = await lockDataDir(dir);
    const held = readFileSync(localPaths(dir).lock, 'utf8');
    release();

    expect(held).toBe(String(process.pid));
    expect(existsSync(localPaths(dir).lock)).toBe(false);
  });

  test('takes over a lock left by a process that is gone', async () => {
    // Prepare: the pid of a process that has exited.
    const gone = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    writeFileSync(localPaths(dir).lock, gone);

    // Act
    const release = await lockDataDir(dir, 0);

    // Assess
    expect(readFileSync(localPaths(dir).lock, 'utf8')).toBe(String(process.pid));
    release();
  });

  test('waits for a live holder, says so once, then gives up with the holder named', async () => {
    // Prepare
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    writeFileSync(localPaths(dir).lock, String(holder.pid));
    const waits: number[] = [];

    // Act
    const attempt = lockDataDir(dir, 300, (pid) => waits.push(pid));

    // Assess
    await expect(attempt).rejects.toMatchObject({
      constructor: CliError,
      message: `the local index in ${localPaths(dir).root} is in use by process ${holder.pid}`,
    });
    expect(waits).toEqual([holder.pid]);
    holder.kill();
  });
});

describe('locationOfKey', () => {
  test.each([
    [
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/20/x.json.gz',
      { account: '111122223333', region: 'eu-west-1' },
    ],
    [
      'prefix/AWSLogs/o-abc123def4/111122223333/CloudTrail/us-east-1/2026/11/20/x.json.gz',
      { account: '111122223333', region: 'us-east-1' },
    ],
    ['AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/x.json.gz', undefined],
    ['notes/readme.json.gz', undefined],
  ])('%s', (key, expected) => {
    expect(locationOfKey(key)).toEqual(expected);
  });
});
