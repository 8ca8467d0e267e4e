/**
 * The `trail-index` command. Each subcommand is a factory in `cli/commands/` returning a commander
 * `Command`; adding one is one line in {@link COMMANDS}. This module owns the conventions every
 * subcommand shares: `--help` everywhere, errors on stderr, exit codes 0 (success), 1 (failure) and
 * 2 (usage), and stack traces only with `--debug`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { applyAwsOptions, AwsOptions } from './aws-options';
import { backfillCommand } from './commands/backfill';
import { localCommand } from './commands/local';
import { queryCommand } from './commands/query';
import { redriveCommand } from './commands/redrive';
import { verifyCommand } from './commands/verify';
import { safeLines } from '../lambdas/shared/safe-text';
import { errorText } from './deployment';
import { CliError, EXIT, ExitStatus, UsageError } from './errors';

/** Every subcommand, in the order `--help` lists them. */
export const COMMANDS: readonly (() => Command)[] = [
  queryCommand,
  localCommand,
  backfillCommand,
  redriveCommand,
  verifyCommand,
];

/** Where the CLI writes; tests may substitute it. */
export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const processOutput: CliOutput = {
  writeOut: (text) => void process.stdout.write(text),
  writeErr: (text) => void process.stderr.write(text),
};

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
  return typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string'
    ? pkg.version
    : 'unknown';
}

/** Applies the shared conventions to a command and all its subcommands. */
function applyConventions(command: Command, output: CliOutput): void {
  command
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.writeOut(text),
      writeErr: (text) => output.writeErr(text),
    })
    .showHelpAfterError(`(run \`${fullName(command)} --help\` for usage)`);
  for (const sub of command.commands) applyConventions(sub, output);
}

function fullName(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function buildProgram(output: CliOutput = processOutput): Command {
  const program = new Command('trail-index')
    .description(
      'Index of Amazon S3 Glacier and AWS Support events from CloudTrail: query it, run the pipeline locally, backfill, redrive, verify the log files.',
    )
    .version(version(), '-V, --version')
    .option('--debug', 'print stack traces and AWS SDK error details')
    .addHelpText(
      'after',
      `
Where the index is (query, backfill, redrive): --stack [NAME] | --table NAME | --local [--data DIR] | TRAIL_INDEX_TABLE.
AWS credentials, profile, region and AWS_ENDPOINT_URL_* are read the SDK's standard way.

Examples:
  npm start                                     # the whole pipeline locally, on the sample logs
  trail-index query --local --event DeleteVault
  trail-index query --stack --vault examplevault --account 111122223333 --region us-east-1 --since 7d`,
    );
  for (const make of COMMANDS) program.addCommand(make());
  // Profile and region must be in the environment before any SDK client exists.
  program.hook('preAction', (_root, action) => applyAwsOptions(action.opts<AwsOptions>()));
  applyConventions(program, output);
  return program;
}

/** Runs the CLI and returns its exit code; never throws. */
export async function main(argv: readonly string[], output: CliOutput = processOutput): Promise<number> {
  const program = buildProgram(output);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    return report(err, debug, output);
  }
}

function report(err: unknown, debug: boolean, output: CliOutput): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help); only the code is left to choose.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof ExitStatus) return err.code;
  if (err instanceof UsageError) {
    output.writeErr(`error: ${safeLines(err.message)}\n`);
    if (debug) output.writeErr(`${stackOf(err)}\n`);
    return EXIT.usage;
  }
  const message = err instanceof CliError ? err.message : errorText(err);
  // Messages can name keys and values read from queues and log files: escaped before printing.
  output.writeErr(`error: ${safeLines(message)}\n`);
  if (debug) {
    output.writeErr(`${safeLines(stackOf(err))}\n`);
  } else if (!(err instanceof CliError)) {
    output.writeErr('(run again with --debug for details)\n');
  }
  return EXIT.failure;
}

function stackOf(err: unknown): string {
  const lines: string[] = [];
  for (let e: unknown = err; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
    lines.push(e instanceof Error ? (e.stack ?? errorText(e)) : errorText(e));
    if (!(e instanceof Error)) break;
    if (e.cause !== undefined) lines.push('caused by:');
  }
  return lines.join('\n');
}
