/**
 * Errors the CLI reports without a stack trace. Anything else is a bug or an outage and also
 * gets a short message, with the stack only under `--debug`.
 */

/** The user asked for something the command cannot do as written: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The command understood the request but could not complete it: exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The command ran and has already said what it found; it ends with this code and no further
 * message (as `verify` does when something is invalid, like `aws cloudtrail validate-logs`).
 */
export class ExitStatus extends Error {
  override readonly name = 'ExitStatus';

  constructor(readonly code: number) {
    super(`exit status ${code}`);
  }
}

/** Exit codes, as CLI conventions have them. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
