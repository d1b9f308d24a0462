import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIo } from '../command';
import { loadConsoleAssets } from '../console/assets';
import { ConsoleData } from '../console/data';
import { startConsoleServer, type ConsoleServer } from '../console/server';
import { resolveStackContext, STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

/** Opens `url` in the desktop's browser; failing to is not an error, the URL is printed anyway. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine (a server, a container): the printed URL is the way in.
  }
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

export interface ConsoleRunHooks {
  /** Called once the server listens; tests stop it from here. @default waits for SIGINT/SIGTERM */
  readonly running?: (server: ConsoleServer) => Promise<void>;
}

export function consoleCommand(hooks: ConsoleRunHooks = {}): CliCommand {
  return {
    name: 'console',
    summary: 'open a local web page that shows the messages, their timelines, failures and health',
    help: `Usage: volt-webhooks console [--local | --stack <name> --region <region>] [--port <p>] [--no-open]

Starts a web server on 127.0.0.1 that shows the stack's messages (newest first, updated every few
seconds, filtered by status, direction, contact number and time), each message's timeline (with
each event's deliveries counted in the delivery archive, duplicates marked), a chart
of failures by error code and by carrier, and the pipeline's health (queue depths, DLQs, the
quarantine, the last accepted webhook, and the alarms of a deployed stack). With --local it also
offers a form that sends a test SMS through the Volt simulator.

It prints a URL holding a random token: every request must carry it, so other local users, processes
and web pages cannot read the console. It reads with your AWS credentials, and only reads
(Get/Query/Scan/Describe calls, and S3 ListObjectsV2/GetObject on the archive) in deployed mode.
Ctrl-C stops it.

  --port <p>             listen on this port (default: any free port)
  --no-open              print the URL without opening a browser

${STACK_OPTIONS_HELP}`,
    async run(argv: string[], io: CliIo) {
      const { values } = parseArgs({
        args: argv,
        options: {
          ...STACK_OPTIONS,
          port: { type: 'string' },
          'no-open': { type: 'boolean', default: false },
        },
        strict: true,
      });
      let port = 0;
      if (values.port !== undefined) {
        port = Number(values.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          throw new UsageError(`--port "${values.port}" must be a whole number from 1 to 65535`);
      }
      const ctx = await resolveStackContext(stackOptionsFrom(values));
      const data = new ConsoleData(ctx);
      try {
        const server = await startConsoleServer({ data, assets: await loadConsoleAssets(), port });
        try {
          const what = ctx.kind === 'local' ? `the local stack (${ctx.source})` : `stack ${ctx.source}`;
          io.out(`Console for ${what}: ${server.openUrl}`);
          io.out('The URL holds its access token: do not share it. Ctrl-C stops the console.');
          if (!values['no-open']) openBrowser(server.openUrl);
          await (hooks.running ? hooks.running(server) : untilStopped());
        } finally {
          await server.close();
        }
      } finally {
        data.close();
      }
      return 0;
    },
  };
}

export const consoleCmd = consoleCommand();
