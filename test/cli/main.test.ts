/**
 * The conventions every subcommand shares, in process: `--help`, exit codes 0/1/2, errors on
 * stderr without stack traces, and how the index is found.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { buildProgram, CliOutput, main } from '../../cli/main';
import { openTable, readStackOutputs, requireOutput } from '../../cli/deployment';
import { CliError, UsageError } from '../../cli/errors';
import { STACK_OUTPUT } from '../../lambdas/shared/config';

function capture(): CliOutput & { out: string; err: string } {
  const sink = {
    out: '',
    err: '',
    writeOut: (text: string) => {
      sink.out += text;
    },
    writeErr: (text: string) => {
      sink.err += text;
    },
  };
  return sink;
}

const run = async (...args: string[]) => {
  const output = capture();
  const code = await main(['node', 'trail-index', ...args], output);
  return { code, ...output };
};

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

describe('trail-index conventions', () => {
  const subcommands = buildProgram()
    .commands.map((c) => c.name())
    .filter((name) => name !== 'help');

  test('registers query and local', () => {
    expect(subcommands).toEqual(expect.arrayContaining(['query', 'local']));
  });

  test.each(buildProgram().commands.map((c) => c.name()))(
    '`%s --help` prints its usage and exits 0',
    async (name) => {
      const result = await run(name, '--help');

      expect(result.code).toBe(0);
      expect(result.out).toContain(`Usage: trail-index ${name}`);
      expect(result.err).toBe('');
    },
  );

  test('--help lists every subcommand', async () => {
    const result = await run('--help');

    expect(result.code).toBe(0);
    for (const name of subcommands) expect(result.out).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  test('--version exits 0', async () => {
    const result = await run('--version');

    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  test('no subcommand is a usage error (2) with the help on stderr', async () => {
    const result = await run();

    expect(result.code).toBe(2);
    expect(result.err).toContain('Usage: trail-index');
  });

  test.each([
    [['nope'], /unknown command 'nope'/],
    [['query', '--bogus'], /unknown option '--bogus'/],
    [['query', '--limit', '0', '--event', 'DeleteVault'], /--limit <n>' argument '0' is invalid/],
    [['query', '--service', 'ec2', '--event', 'RunInstances'], /Allowed choices are glacier, support/],
    [['local', '--keys-per-notification', 'x'], /invalid/],
  ])('%j is a usage error (2) that points at --help', async (args, message) => {
    const result = await run(...args);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toContain('--help` for usage');
    expect(result.out).toBe('');
  });

  test('a UsageError from a command exits 2 without a stack trace', async () => {
    const result = await run('query', '--vault', 'v1');

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^error: --vault needs --account and --region/);
    expect(result.err).not.toMatch(STACK_FRAME);
  });

  test('with --debug the same error shows its stack', async () => {
    const result = await run('query', '--vault', 'v1', '--debug');

    expect(result.code).toBe(2);
    expect(result.err).toMatch(STACK_FRAME);
  });

  test('a bad time is a usage error naming the option', async () => {
    const result = await run('query', '--event', 'DeleteVault', '--since', 'last tuesday');

    expect(result.code).toBe(2);
    expect(result.err).toContain('--since "last tuesday" is not a time');
  });

  test('a query without any index location says how to give one', async () => {
    // Prepare
    const saved = process.env.TRAIL_INDEX_TABLE;
    delete process.env.TRAIL_INDEX_TABLE;

    // Act
    const result = await run('query', '--event', 'DeleteVault');
    if (saved !== undefined) process.env.TRAIL_INDEX_TABLE = saved;

    // Assess
    expect(result.code).toBe(2);
    expect(result.err).toContain('which index? Give --stack [NAME]');
  });
});

describe('openTable', () => {
  test('--table wins over TRAIL_INDEX_TABLE', async () => {
    const target = await openTable({ table: 'from-option' }, { TRAIL_INDEX_TABLE: 'from-env' });
    await target.close();

    expect(target.tableName).toBe('from-option');
  });

  test('TRAIL_INDEX_TABLE is used when no option names the index', async () => {
    const target = await openTable({}, { TRAIL_INDEX_TABLE: 'from-env' });
    await target.close();

    expect(target.tableName).toBe('from-env');
    expect(target.description).toContain('TRAIL_INDEX_TABLE');
  });

  test.each([
    [{ table: 't', local: true }, 'choose one of --table, --local'],
    [{ table: 't', stack: 's' }, 'choose one of --table, --stack'],
    [{ data: '/tmp/x' }, '--data applies to the local index'],
  ])('%j is a usage error', async (options, message) => {
    await expect(openTable(options, {})).rejects.toMatchObject({
      constructor: UsageError,
      message: expect.stringContaining(message) as string,
    });
  });

  test('--local on a folder without an index says to run local first', async () => {
    await expect(openTable({ local: true, data: '/nonexistent/trail-index' }, {})).rejects.toThrow(
      /no local index in \/nonexistent\/trail-index: run `trail-index local --data/,
    );
  });
});

describe('readStackOutputs (CloudFormation, faults injected: no emulator)', () => {
  function cloudFormation(respond: () => Promise<unknown>) {
    const client = new CloudFormationClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const send = jest.spyOn(client, 'send').mockImplementation(respond as never);
    return Object.assign(client, { sendMock: send });
  }

  test('maps the output keys of STACK_OUTPUT to their names', async () => {
    // Prepare
    const client = cloudFormation(() =>
      Promise.resolve({
        Stacks: [
          {
            Outputs: [
              { OutputKey: STACK_OUTPUT.tableName, OutputValue: 'idx-table' },
              { OutputKey: STACK_OUTPUT.logBucketName, OutputValue: 'log-bucket' },
              { OutputKey: 'Unrelated', OutputValue: 'x' },
            ],
          },
        ],
      }),
    );

    // Act
    const outputs = await readStackOutputs('TrailIndexStack', client);

    // Assess
    expect(outputs).toEqual({ tableName: 'idx-table', logBucketName: 'log-bucket' });
    expect(client.sendMock.mock.calls[0]?.[0]).toBeInstanceOf(DescribeStacksCommand);
  });

  test('a stack that does not exist is a CliError naming the stack and region', async () => {
    const client = cloudFormation(() =>
      Promise.reject(
        Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }),
      ),
    );

    await expect(readStackOutputs('Nope', client)).rejects.toMatchObject({
      constructor: CliError,
      message: 'stack Nope does not exist in eu-west-1 (check --stack, --aws-region and --profile)',
    });
  });

  test('a missing output names the output key', () => {
    expect(() => requireOutput({}, 'tableName', 'Other')).toThrow('stack Other has no output IndexTableName');
  });
});
