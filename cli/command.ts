/** One CLI subcommand. `run` returns the process exit code; it throws {@link UsageError} for bad arguments. */
export interface CliCommand {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full help text, shown by `volt-webhooks <name> --help`. */
  readonly help: string;
  run(argv: string[], io: CliIo): Promise<number>;
}

/** Where a command writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

/** A failure the user can act on (unknown id, no credentials...): one line without a stack, exit code 1. */
export class CliError extends Error {}

/**
 * A command line the command cannot run: an unknown or missing option, options that exclude
 * each other, a value in the wrong format. Printed with the command's usage lines, exit code 2.
 */
export class UsageError extends CliError {}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};
