import { CliError, processIo, UsageError, type CliIo } from './command';
import { COMMANDS } from './commands';

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: volt-webhooks <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `volt-webhooks <command> --help` for a command's options.",
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

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${overview()}`);
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
      io.err(`${err.message}\n\n${command.help}`);
      return 2;
    }
    if (err instanceof CliError) {
      io.err(`Error: ${err.message}`);
      return 1;
    }
    throw err;
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
