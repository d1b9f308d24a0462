import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CliError } from '../../../cli/command';
import { main } from '../../../cli/main';
import { explainAwsError } from '../../../cli/stack-context';

/**
 * How every command fails: a usage error exits 2 with the mistake, the command's usage lines
 * and where to read more; a runtime error exits 1 with one line that says what failed and what
 * to check, never an SDK error object or a stack trace.
 */

let dir: string;
/** A port nothing listens on: taken from the system, then closed. */
let closedPort: number;
/** A local stack file whose stand-ins do not answer. */
let deadStackFile: string;

async function freeClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cli-errors-'));
  closedPort = await freeClosedPort();
  const dead = `http://127.0.0.1:${closedPort}`;
  deadStackFile = path.join(dir, 'stack.json');
  writeFileSync(
    deadStackFile,
    JSON.stringify({
      webhookUrl: `${dead}/webhooks`,
      region: 'us-east-1',
      sqsEndpoint: dead,
      dynamodbEndpoint: dead,
      tableName: 'messages',
      queueUrls: { state: `${dead}/000000000000/state`, stateDlq: `${dead}/000000000000/state-dlq` },
      voltApiUrl: `${dead}/graphql`,
      voltToken: 'local-dev-token',
      signingKeyFile: path.join(dir, 'absent.pem'),
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, {
    out: (t) => out.push(...t.replace(/\n$/, '').split('\n')),
    err: (t) => err.push(...t.replace(/\n$/, '').split('\n')),
  });
  return { code, out, err };
}

/** Runs `use` with only the AWS settings given, and no config or credentials files to fall back on. */
async function withAwsEnv<T>(env: Record<string, string>, use: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
  Object.assign(process.env, {
    AWS_CONFIG_FILE: path.join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...env,
  });
  try {
    return await use();
  } finally {
    process.env = saved;
  }
}

/** What a runtime error must look like: exit 1, one `Error:` line, nothing from the SDK's error object. */
function expectOneLineError(result: { code: number; err: string[] }, message: RegExp): void {
  expect(result.code).toBe(1);
  expect(result.err).toHaveLength(1);
  expect(result.err[0]).toMatch(/^Error: /);
  expect(result.err[0]).toMatch(message);
  expect(result.err[0]).not.toMatch(/\$metadata|\bat .+:\d+:\d+|\{$|error wrapper/);
}

describe('usage errors: exit 2, the mistake, the usage lines, where to read more', () => {
  // One command line per command that it cannot run, and the mistake it must name.
  const cases: [string, string[], RegExp][] = [
    ['status', [], /exactly one message id is required/],
    ['history', ['rf_a', 'rf_b'], /exactly one message id is required/],
    ['messages', ['--since', '7d'], /--contact <E\.164> is required/],
    ['failed', ['--limit', 'many'], /--limit "many" must be a whole number/],
    ['send', ['--to', '+15555550123', '--body', 'x'], /--to, --from and --body are required/],
    ['calibrate', ['--body', 'body.json'], /--body, --key and one of --signature or --signature-file are required/],
    ['redrive', ['--rate', '0'], /--rate must be a whole number from 1 to 500/],
    ['doctor', ['--timeout', 'soon'], /--timeout must be a positive number of seconds/],
  ];

  test.each(cases)('%s %j', async (name, args, mistake) => {
    const { code, out, err } = await run(name, ...args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(new RegExp(`^volt-webhooks ${name}: `));
    expect(err[0]).toMatch(mistake);
    expect(err[1]).toMatch(new RegExp(`^Usage: volt-webhooks ${name} `));
    expect(err[err.length - 1]).toBe(`Run \`npx volt-webhooks ${name} --help\` for every option.`);
    // The usage lines only, not the whole help: at most two synopsis lines between the first and last.
    expect(err.length).toBeLessThanOrEqual(5);
  });

  test.each(['status', 'history', 'messages', 'failed', 'send', 'calibrate', 'redrive', 'doctor', 'console'])(
    '%s with an unknown option names it',
    async (name) => {
      const { code, err } = await run(name, '--bogus');
      expect(code).toBe(2);
      expect(err[0]).toMatch(/Unknown option '--bogus'/);
      expect(err[1]).toMatch(new RegExp(`^Usage: volt-webhooks ${name}`));
    },
  );

  test('--local with --stack is a usage error, as is an option that needs a value without one', async () => {
    expect((await run('status', 'rf_a', '--local', '--stack', 'X')).code).toBe(2);
    const missingValue = await run('status', 'rf_a', '--stack');
    expect(missingValue.code).toBe(2);
    expect(missingValue.err[0]).toMatch(/--stack/);
  });

  test('an unknown command lists the commands in two lines', async () => {
    const { code, err } = await run('stauts', 'rf_a');
    expect(code).toBe(2);
    expect(err).toEqual([
      'Unknown command "stauts". Commands: calibrate, status, history, messages, failed, send, redrive, replay, doctor, console.',
      'Run `npx volt-webhooks --help` for what each does.',
    ]);
  });
});

describe('runtime errors: exit 1, one line that says what failed and what to check', () => {
  test.each([
    ['status', ['rf_a']],
    ['history', ['rf_a']],
    ['messages', ['--contact', '+15555550123']],
    ['failed', []],
    ['redrive', []],
  ])('%s on a local stack that does not answer', async (name, args) => {
    const result = await run(name, ...args, '--local-file', deadStackFile);
    expectOneLineError(
      result,
      new RegExp(
        `the local stack does not answer: .*127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED.*is \`npm start\` running\\?`,
      ),
    );
  });

  test('send through a Volt API that does not answer', async () => {
    const result = await run(
      'send',
      ...['--to', '+15555550123', '--from', '+15555550100', '--body', 'x'],
      ...['--local-file', deadStackFile],
    );
    expectOneLineError(
      result,
      /network error calling Volt at http:\/\/127\.0\.0\.1:\d+\/graphql: .*is `npm start` running\?/,
    );
  });

  test('a deployed stack behind an endpoint that does not answer', async () => {
    const result = await withAwsEnv(
      {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${closedPort}`,
        AWS_MAX_ATTEMPTS: '1',
      },
      () => run('status', 'rf_a', '--region', 'us-east-1'),
    );
    expectOneLineError(
      result,
      new RegExp(
        `cannot reach AWS: .*127\\.0\\.0\\.1:${closedPort}.*ECONNREFUSED.*check --region.*AWS_ENDPOINT_URL is set.*--local`,
      ),
    );
  }, 20_000);

  test('a deployed stack without credentials', async () => {
    const result = await withAwsEnv({ AWS_REGION: 'us-east-1' }, () => run('failed', '--stack', 'VoltSmsWebhooks'));
    expectOneLineError(result, /no AWS credentials found: set AWS_PROFILE .*or use --local for the local stack/);
  }, 20_000);

  test('a deployed stack without a region says to pass --region or use --local', async () => {
    const result = await withAwsEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }, () => run('doctor'));
    // doctor reports the stack lookup as its one failed check; status says it as an error.
    expect(result.code).toBe(1);
    expect(result.out.join('\n')).toMatch(/^FAIL\s+stack\s+no AWS region: pass --region.*--local/m);
    const status = await withAwsEnv({ AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }, () =>
      run('status', 'rf_a'),
    );
    expectOneLineError(status, /no AWS region: pass --region, or set AWS_REGION .*use --local for the local stack/);
  }, 20_000);

  test('a missing local stack file says to start the stack', async () => {
    const result = await run('history', 'rf_a', '--local-file', path.join(dir, 'nothing-here.json'));
    expectOneLineError(result, /nothing-here\.json not found: start the local stack with `npm start`/);
  });
});

describe('explainAwsError', () => {
  test('a host that does not resolve, as the SDK throws it, becomes what to check', () => {
    // The shape of the SDK's error for an unknown region's endpoint: Node's error plus $metadata.
    const sdkError = Object.assign(new Error('getaddrinfo ENOTFOUND cloudformation.xx-nowhere-1.amazonaws.com'), {
      code: 'ENOTFOUND',
      hostname: 'cloudformation.xx-nowhere-1.amazonaws.com',
      $metadata: { attempts: 3, totalRetryDelay: 300 },
    });
    const explained = explainAwsError(sdkError, { kind: 'deployed', source: 'VoltSmsWebhooks' });
    expect(explained).toBeInstanceOf(CliError);
    expect((explained as CliError).message).toMatch(
      /^cannot reach AWS: cloudformation\.xx-nowhere-1\.amazonaws\.com \(ENOTFOUND\): check --region, .*or use --local/,
    );
  });

  test('any other answer from an AWS service is its name and message, one line', () => {
    const sdkError = Object.assign(new Error('Throttled'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    expect((explainAwsError(sdkError) as CliError).message).toBe(
      'AWS refused the request: ThrottlingException: Throttled',
    );
  });

  test('an error that is not from AWS is left for the caller', () => {
    const plain = new RangeError('no');
    expect(explainAwsError(plain)).toBe(plain);
  });
});
