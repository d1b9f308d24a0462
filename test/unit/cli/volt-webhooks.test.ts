import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// cli/volt-webhooks.cjs, the `volt-webhooks` bin: which CLI it runs, and what it keeps out of the output.

const ROOT = path.resolve(__dirname, '..', '..', '..');
const LAUNCHER = path.join(ROOT, 'cli', 'volt-webhooks.cjs');

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the volt-webhooks launcher in a source checkout', () => {
  let dir: string;
  const source = () => path.join(dir, 'cli', 'main.ts');
  const build = () => path.join(dir, 'dist', 'cli', 'volt-webhooks.cjs');
  const setTime = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

  beforeEach(() => {
    // A stand-in checkout: the real launcher, a "source" CLI and a "build" CLI that say which they are.
    dir = mkdtempSync(path.join(tmpdir(), 'volt-launcher-'));
    mkdirSync(path.join(dir, 'cli'));
    mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(path.join(ROOT, 'node_modules', 'tsx'), path.join(dir, 'node_modules', 'tsx'));
    copyFileSync(LAUNCHER, path.join(dir, 'cli', 'volt-webhooks.cjs'));
    writeFileSync(
      source(),
      "export async function main(argv: string[]): Promise<number> { console.log('source', argv.join(' ')); return 0; }\n",
    );
    writeFileSync(build(), "exports.main = async (argv) => { console.log('build', argv.join(' ')); return 3; };\n");
    writeFileSync(path.join(dir, 'dist', 'cli', 'inputs.json'), JSON.stringify(['cli/main.ts']));
    setTime(source(), 1_000_000);
    setTime(build(), 2_000_000);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const launch = (...args: string[]) => runNode([path.join(dir, 'cli', 'volt-webhooks.cjs'), ...args], dir);

  test('runs the build when it is newer than every source it was made from, with its exit code', async () => {
    expect(await launch('status', 'x')).toEqual({ code: 3, stdout: 'build status x\n', stderr: '' });
  });

  test('runs the sources, and says so, when one changed after the build', async () => {
    setTime(source(), 3_000_000);
    const result = await launch('status', 'x');
    expect(result.stdout).toBe('source status x\n');
    expect(result.stderr).toMatch(/running from source \(cli\/main\.ts changed since the last build\)/);
  });

  test('runs the sources when there is no build', async () => {
    rmSync(path.join(dir, 'dist'), { recursive: true });
    const result = await launch('--help');
    expect(result.stdout).toBe('source --help\n');
    expect(result.stderr).toMatch(/there is no build yet/);
  });

  test('runs the build, checking nothing, where there are no sources (the installed package)', async () => {
    rmSync(source());
    rmSync(path.join(dir, 'dist', 'cli', 'inputs.json'));
    expect(await launch('--help')).toEqual({ code: 3, stdout: 'build --help\n', stderr: '' });
  });
});

test("the AWS SDK's Node version notice stays out of a command's output", async () => {
  // An SDK client is made (the notice comes with the first one), then its request fails fast.
  const dir = mkdtempSync(path.join(tmpdir(), 'volt-launcher-'));
  try {
    const stackFile = path.join(dir, 'stack.json');
    writeFileSync(
      stackFile,
      JSON.stringify({ region: 'us-east-1', dynamodbEndpoint: 'http://127.0.0.1:9', tableName: 'messages' }),
    );
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined };
    const result = await runNode([LAUNCHER, 'status', '--local-file', stackFile, 'rf_1'], dir, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Error: /m);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|Warning:/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
