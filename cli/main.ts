import { CliError, processIo, UsageError, type CliCommand, type CliIo } from './command';
import { COMMANDS } from './commands';
import { CLI_COMMAND } from './hints';
import { describeFailure } from './stack-context';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: volt-webhooks <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`${CLI_COMMAND} <command> --help\` for a command's options.`,
  ].join('\n');
}

/** node:util parseArgs errors, recognised by code (they may come from another realm than this TypeError). */
function isParseArgsError(err: unknown): err is Error {
  return (
    typeof err === 'object' &&
    err !== null &&
    String((err as NodeJS.ErrnoException).code ?? '').startsWith('ERR_PARSE_ARGS')
  );
}

/** The `Usage:` lines at the top of a command's help: what a usage error shows instead of all of it. */
export function usageLines(command: CliCommand): string {
  const lines = command.help.split('\n');
  const end = lines.findIndex((line) => line.trim() === '');
  return lines.slice(0, end < 0 ? lines.length : end).join('\n');
}

/** Errors are printed on one line: a message that spans several is joined. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, '; ').trim();
}

/**
 * Runs the CLI with `argv` (without node and script); returns the exit code: 0 done, 1 a
 * runtime error (one line on stderr), 2 a usage error (the mistake, the usage lines, where
 * to read more).
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(
      `Unknown command "${name}". Commands: ${COMMANDS.map((c) => c.name).join(', ')}.\nRun \`${CLI_COMMAND} --help\` for what each does.`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err: unknown) {
    if (err instanceof UsageError || isParseArgsError(err)) {
      io.err(
        `volt-webhooks ${name}: ${oneLine(err.message)}\n${usageLines(command)}\nRun \`${CLI_COMMAND} ${name} --help\` for every option.`,
      );
      return 2;
    }
    const failure = err instanceof CliError ? err : describeFailure(err);
    io.err(`Error: ${oneLine(failure.message)}`);
    // The stack of an error nobody anticipated, for a bug report; never in normal output.
    if (process.env['VOLT_WEBHOOKS_DEBUG'] && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
