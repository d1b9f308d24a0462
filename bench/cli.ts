// `npm run bench:cli`: how long a `volt-webhooks` call takes next to the AWS CLI doing the same
// lookup, measured in one run on one machine. It uses the running local stack (`npm start`) or
// starts one, puts one message item into its table, then times, interleaved over rounds, each
// command as a fresh process: `volt-webhooks status --local <id>`, `volt-webhooks --help`, and
// `aws dynamodb get-item` on the same item. Target: both volt-webhooks rows faster than the AWS CLI.
import { DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { staleBuildReason } from '../scripts/build-outputs';
import { median, quantile } from './stats';

const ROOT = path.resolve(__dirname, '..');
const STACK_FILE = path.join(ROOT, '.local', 'stack.json');
const BIN = path.join(ROOT, 'cli', 'volt-webhooks.cjs');
const MESSAGE_ID = 'rf_bench_cli_0001';
// The timed commands get the environment as the user has it (main() changes this process's own).
const USER_ENV = { ...process.env };

interface LocalStackFile {
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
}

function readStackFile(): LocalStackFile | undefined {
  if (!existsSync(STACK_FILE)) return undefined;
  const file = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as Partial<LocalStackFile>;
  if (!file.region || !file.dynamodbEndpoint || !file.tableName) return undefined;
  return { region: file.region, dynamodbEndpoint: file.dynamodbEndpoint, tableName: file.tableName };
}

const dynamodbFor = (stack: LocalStackFile) =>
  new DynamoDBClient({
    region: stack.region,
    endpoint: stack.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

async function answers(stack: LocalStackFile): Promise<boolean> {
  const client = dynamodbFor(stack);
  try {
    await client.send(new ListTablesCommand({}));
    return true;
  } catch {
    return false;
  } finally {
    client.destroy();
  }
}

/** Starts `npm start` on free ports and waits for it to describe itself in .local/stack.json. */
async function startLocalStack(): Promise<{ child: ChildProcess; stack: LocalStackFile }> {
  const startedAt = Date.now();
  const ports = ['--port', '--sqs-port', '--dynamodb-port', '--secrets-port', '--volt-port'].flatMap((p) => [p, '0']);
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'local/start.ts', ...ports], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output}`);
    const stack = existsSync(STACK_FILE) && statSync(STACK_FILE).mtimeMs >= startedAt ? readStackFile() : undefined;
    if (stack) return { child, stack };
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGINT');
  throw new Error(`the local stack was not ready within 10 minutes:\n${output}`);
}

async function stopLocalStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** A delivered outbound message, as the consumer writes it. */
async function putItem(stack: LocalStackFile): Promise<void> {
  const client = dynamodbFor(stack);
  const s = (value: string) => ({ S: value });
  const now = new Date().toISOString();
  try {
    await client.send(
      new PutItemCommand({
        TableName: stack.tableName,
        Item: {
          messageId: s(MESSAGE_ID),
          status: s('delivered'),
          eventType: s('message.finalized'),
          webhookId: s('rfw_bench_cli_0002'),
          direction: s('outbound'),
          fromNumber: s('+15555550100'),
          toNumber: s('+15555550123'),
          occurredAt: s(now),
          updatedAt: s(now),
          messageAppId: s('bench-cli'),
          text: s('hello from bench:cli'),
          parts: { N: '1' },
          encoding: s('GSM-7'),
          history: {
            L: ['message.sent', 'message.finalized'].map((eventType, i) => ({
              M: { webhookId: s(`rfw_bench_cli_000${i + 1}`), eventType: s(eventType), occurredAt: s(now) },
            })),
          },
        },
      }),
    );
  } finally {
    client.destroy();
  }
}

interface Command {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  /** What a correct run prints on stdout. */
  readonly expect: RegExp;
  /** Whether the target applies to it (the rest are shown for reference). */
  readonly measured: boolean;
}

function commandsFor(stack: LocalStackFile): Command[] {
  return [
    {
      name: 'volt-webhooks status --local <id>',
      file: BIN,
      args: ['status', '--local', MESSAGE_ID],
      expect: /Status:\s+delivered/,
      measured: true,
    },
    { name: 'volt-webhooks --help', file: BIN, args: ['--help'], expect: /^Usage: volt-webhooks/, measured: true },
    {
      name: 'aws dynamodb get-item (same item)',
      file: 'aws',
      args: [
        '--region',
        stack.region,
        '--endpoint-url',
        stack.dynamodbEndpoint,
        'dynamodb',
        'get-item',
        '--table-name',
        stack.tableName,
        '--key',
        JSON.stringify({ messageId: { S: MESSAGE_ID } }),
      ],
      expect: /"delivered"/,
      measured: false,
    },
    {
      name: 'npx volt-webhooks status --local <id>',
      file: 'npx',
      args: ['--no-install', 'volt-webhooks', 'status', '--local', MESSAGE_ID],
      expect: /Status:\s+delivered/,
      measured: false,
    },
  ];
}

/** One fresh process; its wall time in ms. Fails on a wrong answer, a warning or extra stderr output. */
function timeOnce(command: Command): number {
  const started = process.hrtime.bigint();
  const isNode = command.file.endsWith('.cjs');
  const result = spawnSync(
    isNode ? process.execPath : command.file,
    isNode ? [command.file, ...command.args] : command.args,
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...USER_ENV, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_PAGER: '' },
    },
  );
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.error) throw result.error;
  if (result.status !== 0 || !command.expect.test(result.stdout) || (isNode && result.stderr !== '')) {
    throw new Error(`${command.name} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return ms;
}

async function main(): Promise<number> {
  // This script's own SDK client (the item it puts) would print the SDK's Node 20 notice.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number above 0`);
  if (spawnSync('aws', ['--version']).error) throw new Error('the AWS CLI (`aws`) is not installed');

  const stale = staleBuildReason();
  if (stale !== undefined) {
    console.log(`building first (${stale})...`);
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }

  let started: { child: ChildProcess; stack: LocalStackFile } | undefined;
  let stack = readStackFile();
  if (stack && (await answers(stack))) {
    console.log(`using the running local stack (${path.relative(ROOT, STACK_FILE)})`);
  } else if (stack) {
    throw new Error(`${STACK_FILE} describes a local stack that does not answer: remove the file, or start it again`);
  } else {
    console.log('starting the local stack (npm start on free ports)...');
    started = await startLocalStack();
    stack = started.stack;
  }
  try {
    await putItem(stack);
    const commands = commandsFor(stack);
    for (const command of commands) timeOnce(command); // warm the disk cache and Node's compile cache
    const times = new Map<Command, number[]>(commands.map((c) => [c, []]));
    for (let round = 0; round < rounds; round++) {
      for (const command of commands) times.get(command)!.push(timeOnce(command));
    }

    const aws = median(times.get(commands[2]!)!);
    console.log(`\n${rounds} rounds, interleaved, each command a fresh process (node ${process.version})\n`);
    const header = ['command', 'median ms', 'p90 ms', 'vs aws get-item'];
    const rows = commands.map((c) => {
      const t = times.get(c)!;
      return [c.name, median(t).toFixed(0), quantile(t, 0.9).toFixed(0), `${(median(t) / aws).toFixed(2)}x`];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    for (const row of [header, ...rows]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
    const met = commands.filter((c) => c.measured).every((c) => median(times.get(c)!) < aws);
    console.log(
      `\ntarget (volt-webhooks status --local and --help each faster than aws dynamodb get-item): ${met ? 'met' : 'NOT met'}`,
    );
    return met ? 0 : 1;
  } finally {
    if (started) await stopLocalStack(started.child);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
