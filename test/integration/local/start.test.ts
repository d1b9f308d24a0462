import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MESSAGE_ID_PLACEHOLDER } from '../../../cli/hints';
import { readAppConfig } from '../../../lib/config';
import { parseScheme, signBody } from '../../../lambda/common/signature';
import { parseStartOptions } from '../../../local/start/options';
import type { LocalStackFile } from '../../../local/stack-file';
import { exampleEvents } from '../../helpers/fixtures';
import { extractHints, hasAwsCli, runHint, shellLinesUnder, shellWords, type HintRun } from '../../helpers/hints';
import {
  copyProject,
  entries,
  freePorts,
  freshMachineEnv,
  startLocal,
  type LocalStart,
  type ProjectCopy,
} from '../../helpers/project-copy';

/**
 * A deployer's first hour, in a copy of the project as a fresh clone has it after `npm ci`:
 * `npm start` fails at once on a taken port; its first start synthesizes; every command line it
 * prints, and the ones the CLI and the README print, runs as printed against it (placeholders
 * such as <messageId> filled in with what an earlier step printed); and a second start with
 * nothing changed reuses the synthesized app. The AWS CLI lines run only where the `aws` binary
 * is (a user's machine, or CI, may lack it); the `npx volt-webhooks` lines always run.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AWS_CLI = hasAwsCli();

let copy: ProjectCopy;
let scratch: string;
let env: NodeJS.ProcessEnv;
/** http, sqs, dynamodb, volt: fixed, so the second start has the same context as the first. */
let ports: { http: number; sqs: number; dynamodb: number; volt: number };
let startArgs: string[];
let first: LocalStart | undefined;
let second: LocalStart | undefined;
let stackFile: LocalStackFile;

/** Every command line seen in printed output, and those the test ran or checked. */
const printed = new Set<string>();
const handled = new Set<string>();

function collect(text: string): string[] {
  const hints = extractHints(text);
  for (const hint of hints) printed.add(hint);
  return hints;
}

function find(hints: readonly string[], pattern: RegExp): string {
  const found = hints.find((h) => pattern.test(h));
  if (found === undefined) throw new Error(`no hint matching ${String(pattern)} in:\n${hints.join('\n')}`);
  return found;
}

/** Runs a printed line as pasted, with placeholders filled in; marks it handled. */
async function paste(hint: string, fill: Readonly<Record<string, string>> = {}): Promise<HintRun> {
  handled.add(hint);
  let line = hint;
  for (const [placeholder, value] of Object.entries(fill)) line = line.split(placeholder).join(value);
  return runHint(line, copy.dir, env);
}

function expectRan(result: HintRun, code = 0): void {
  if (result.code !== code)
    throw new Error(`${result.command} exited ${result.code}, expected ${code}:\n${result.stdout}\n${result.stderr}`);
}

/** `npm start -- ...` and `npm run demo -- ...` lines: their flags parse and their context passes the app's checks. */
function checkStartLine(line: string): void {
  handled.add(line);
  const words = shellWords(line);
  const dashes = words.indexOf('--');
  const options = parseStartOptions(dashes < 0 ? [] : words.slice(dashes + 1));
  if (options === 'help') return;
  const context = options.context;
  readAppConfig((key) => context[key], Object.keys(context));
}

const str = (item: Record<string, AttributeValue> | undefined, key: string) => item?.[key]?.S;

async function waitForItem(
  messageId: string,
  done: (item: Record<string, AttributeValue>) => boolean,
): Promise<Record<string, AttributeValue>> {
  const client = new DynamoDBClient({
    region: stackFile.region,
    endpoint: stackFile.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: stackFile.tableName,
          Key: { messageId: { S: messageId } },
          ConsistentRead: true,
        }),
      );
      if (Item && done(Item)) return Item;
      if (Date.now() > deadline) throw new Error(`message ${messageId} not as expected: ${JSON.stringify(Item)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  copy = copyProject('volt-first-hour');
  scratch = mkdtempSync(path.join(tmpdir(), 'volt-first-hour-scratch-'));
  env = freshMachineEnv(scratch);
  const [http, sqs, dynamodb, volt] = (await freePorts(4)) as [number, number, number, number];
  ports = { http, sqs, dynamodb, volt };
  startArgs = ['--port', `${http}`, '--sqs-port', `${sqs}`, '--dynamodb-port', `${dynamodb}`, '--volt-port', `${volt}`];
}, 60_000);

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  copy?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 90_000);

test('npm start with a taken port fails at once, before synthesizing, naming the flag that picks another', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(ports.dynamodb, '127.0.0.1', resolve));
  try {
    const run = startLocal(copy.dir, startArgs, env);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain(
      `npm start failed: port ${ports.dynamodb} for the DynamoDB stand-in is already in use (another local stack still running?); pass --dynamodb-port <port> (0 = a free port)`,
    );
    expect(run.output()).not.toMatch(/synthesiz/);
    expect(entries(path.join(copy.dir, '.local'))).not.toContain('cdk.out');
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
}, 60_000);

describe('the first npm start, what it prints, and a second start', () => {
  let banner: string;

  test(
    'the first start (with the demo) synthesizes, then prints its next steps',
    async () => {
      first = startLocal(copy.dir, [...startArgs, '--demo'], env);
      banner = await first.waitFor(/demo: done\..*\n/, 8 * 60_000);
      expect(banner).toContain('synthesizing the app with local context (there is no earlier synth)');
      expect(banner).toMatch(/^next steps, in another terminal in /m);
      stackFile = JSON.parse(readFileSync(path.join(copy.dir, '.local', 'stack.json'), 'utf8')) as LocalStackFile;
      collect(banner);
    },
    9 * 60_000,
  );

  test(
    'its volt-webhooks lines run as printed: send, its follow-up, status, history, a failing send, failed, doctor',
    async () => {
      const hints = extractHints(banner);
      const sent = await paste(find(hints, /^npx volt-webhooks send --to \+15555550123 /));
      expectRan(sent);
      const id = /Created message (rf_\w+)/.exec(sent.stdout)?.[1] ?? '';
      const followUp = find(collect(sent.stdout), /^npx volt-webhooks status /);
      expect(followUp).toBe(`npx volt-webhooks status ${id} --local`);
      await waitForItem(id, (item) => str(item, 'status') === 'delivered');

      const status = await paste(followUp);
      expectRan(status);
      expect(status.stdout).toMatch(/^Status: +delivered$/m);
      const fromBanner = await paste(find(hints, /^npx volt-webhooks status /), { [MESSAGE_ID_PLACEHOLDER]: id });
      expectRan(fromBanner);
      expect(fromBanner.stdout).toBe(status.stdout);
      const history = await paste(find(hints, /^npx volt-webhooks history /), { [MESSAGE_ID_PLACEHOLDER]: id });
      expectRan(history);
      expect(history.stdout).toMatch(/^OCCURRED AT +EVENT TYPE +STATUS +WEBHOOK ID +CURRENT$/m);
      expect(history.stdout).toMatch(/message\.finalized +delivered +rfw_\w+ +<- current$/m);

      const failing = await paste(find(hints, /^npx volt-webhooks send --to \+15555550666 /));
      expectRan(failing);
      const failedId = /Created message (rf_\w+)/.exec(failing.stdout)?.[1] ?? '';
      await waitForItem(failedId, (item) => str(item, 'status') === 'failed');
      const failedStatus = await paste(find(collect(failing.stdout), /^npx volt-webhooks status /));
      expectRan(failedStatus);
      expect(failedStatus.stdout).toMatch(/^Status: +failed$/m);
      const failed = await paste(find(hints, /^npx volt-webhooks failed /));
      expectRan(failed);
      expect(failed.stdout).toContain(failedId);

      const doctor = await paste(find(hints, /^npx volt-webhooks doctor /));
      expectRan(doctor);
      expect(doctor.stdout).toMatch(/^All checks passed\.$/m);
      collect(doctor.stdout);
    },
    5 * 60_000,
  );

  test("the demo's closing line runs as printed", async () => {
    const hint = find(extractHints(banner), /^npx volt-webhooks history rf_/);
    const result = await paste(hint);
    expectRan(result);
    expect(result.stdout).toMatch(/<- current$/m);
  }, 60_000);

  test(
    "doctor's advice runs as printed: redrive for a DLQ that holds messages, calibrate for the quarantine, and calibrate's restart line",
    async () => {
      const sqs = new SQSClient({
        region: stackFile.region,
        endpoint: stackFile.sqsEndpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: stackFile.queueUrls['stateDlq'], MessageBody: '{}' }));
      } finally {
        sqs.destroy();
      }
      // Signed by the local key, but with a scheme the stack does not use: refused, and quarantined.
      const body = exampleEvents().find((e) => e.name === 'message-sent')?.raw ?? '';
      const key = createPrivateKey(readFileSync(stackFile.signingKeyFile, 'utf8'));
      const refused = await fetch(stackFile.webhookUrl ?? '', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-respond-flow-signature': signBody(key, body, parseScheme('pss-sha256-base64')),
        },
        body,
      });
      expect(refused.status).toBe(401);

      const doctor = await paste(find([...printed], /^npx volt-webhooks doctor /));
      expectRan(doctor, 1);
      const advice = collect(doctor.stdout);
      const redrive = await paste(find(advice, /^npx volt-webhooks redrive --queue state /));
      expectRan(redrive);
      expect(redrive.stdout).toMatch(/COMPLETED: 1 of 1 message\(s\) moved/);

      const calibrate = await paste(find(advice, /^npx volt-webhooks calibrate --from-quarantine /));
      expectRan(calibrate);
      expect(calibrate.stdout).toMatch(/verifies with pss-sha256-base64/);
      const restart = find(collect(calibrate.stdout), /^npm start /);
      expect(restart).toBe('npm start -- --context signatureScheme=pss-sha256-base64');
      checkStartLine(restart);
    },
    3 * 60_000,
  );

  test(
    `the AWS CLI lines carry dummy credentials, --region and --endpoint-url, and run as printed ${AWS_CLI ? '(the aws binary is here: run)' : '(no aws binary here: checked, not run)'}`,
    async () => {
      const aws = [...printed].filter((h) => /\baws /.test(h));
      expect(aws.length).toBeGreaterThanOrEqual(3);
      const id = /createMessage (rf_\w+)/.exec(first?.output() ?? '')?.[1] ?? '';
      for (const hint of aws) {
        expect(hint).toMatch(
          new RegExp(
            `^AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region ${stackFile.region} --endpoint-url http://127\\.0\\.0\\.1:\\d+ `,
          ),
        );
        if (!AWS_CLI) {
          handled.add(hint);
          continue;
        }
        const result = await paste(hint, { [MESSAGE_ID_PLACEHOLDER]: id });
        expectRan(result);
        if (/get-item/.test(hint)) expect(JSON.parse(result.stdout)).toMatchObject({ Item: { messageId: { S: id } } });
      }
    },
    3 * 60_000,
  );

  test(
    `the README's quick start runs as printed, its documented ports mapped to this stack's${AWS_CLI ? '' : ' (its aws line checked, not run: no aws binary here)'}`,
    async () => {
      const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const lines = shellLinesUnder(readme, '## Quick start');
      const defaults: Record<string, number> = {
        '3000': ports.http,
        '9324': ports.sqs,
        '8000': ports.dynamodb,
        '4010': ports.volt,
      };
      const mapped = (line: string) =>
        line.replace(/127\.0\.0\.1:(\d+)/g, (all, port: string) => {
          const to = defaults[port];
          return to === undefined ? all : `127.0.0.1:${to}`;
        });
      let id = '';
      for (const line of lines) {
        if (line.startsWith('npm ')) {
          // `npm ci && npm start`, `npm test`: the set-up this test reproduces (a copy, `npm start`), and CI itself.
          expect(line).toMatch(/^npm (ci && npm start|test)$/);
          continue;
        }
        if (line.startsWith('AWS_') && !AWS_CLI) {
          expect(line).toMatch(/ aws --region \S+ --endpoint-url http:\/\/127\.0\.0\.1:8000 /);
          continue;
        }
        const result = await runHint(mapped(line).split(MESSAGE_ID_PLACEHOLDER).join(id), copy.dir, env);
        expectRan(result);
        id ||= /Created message (rf_\w+)/.exec(result.stdout)?.[1] ?? '';
        if (id !== '' && /send/.test(line)) await waitForItem(id, (item) => str(item, 'status') === 'delivered');
        if (/get-item/.test(line)) expect(JSON.parse(result.stdout)).toMatchObject({ Item: { messageId: { S: id } } });
      }
      expect(lines.filter((l) => l.startsWith('npx volt-webhooks')).length).toBeGreaterThanOrEqual(2);
    },
    3 * 60_000,
  );

  test("docs/local-stack.md's npm start lines parse", () => {
    const doc = readFileSync(path.join(ROOT, 'docs', 'local-stack.md'), 'utf8');
    const lines = shellLinesUnder(doc, '# The local stack (`npm start`)').filter((l) =>
      /^npm (start|run demo)/.test(l),
    );
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) checkStartLine(line);
  });

  test(
    'the example events each land: posting all of them stores every one',
    async () => {
      const key = createPrivateKey(readFileSync(stackFile.signingKeyFile, 'utf8'));
      const examples = exampleEvents();
      for (const example of examples) {
        const res = await fetch(stackFile.webhookUrl ?? '', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-respond-flow-signature': signBody(key, example.raw) },
          body: example.raw,
        });
        expect(res.status).toBe(200);
      }
      for (const example of examples) {
        const payload = example.json['payload'] as { id: string | null; message_app_id: string };
        const webhookId = String(example.json['id']);
        await waitForItem(payload.id ?? payload.message_app_id, (item) =>
          (item['history']?.L ?? []).some((entry) => entry.M?.['webhookId']?.S === webhookId),
        );
      }
    },
    2 * 60_000,
  );

  test('every command line printed above was run or checked', () => {
    expect([...printed].filter((hint) => !handled.has(hint))).toEqual([]);
    expect(handled.size).toBeGreaterThanOrEqual(12);
  });

  test(
    'a second npm start with unchanged sources and context reuses the synthesized app, and is ready in seconds',
    async () => {
      expect(await first?.stop()).toBe(0);
      second = startLocal(copy.dir, startArgs, env);
      const output = await second.waitFor(/Ctrl-C stops everything/, 3 * 60_000);
      expect(output).toMatch(/^reusing \.local\/cdk\.out: sources, context and package-lock\.json unchanged/m);
      expect(output).not.toMatch(/synthesizing/);
      const ready = Number(/ready in ([\d.]+) s/.exec(output)?.[1]);
      // The synth alone takes tens of seconds on this machine; a reused start is the stand-ins and the functions' workers.
      expect(ready).toBeLessThan(15);
      expect(await second.stop()).toBe(0);
    },
    4 * 60_000,
  );
});
