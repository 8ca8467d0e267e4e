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

/** Exit codes, as CLI conventions have them. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
