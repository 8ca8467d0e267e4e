/** Runs the real `trail-index` launcher in a child process, as a user would. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'bin', 'trail-index.cjs');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`could not run the CLI: ${error.message}`, { cause: error }));
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

/** A stack frame line, which user-facing errors must not print. */
export const STACK_FRAME = /^\s+at .+\(.+:\d+:\d+\)$/m;
