import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * The project as a fresh clone after `npm ci` has it: the files git knows (committed or not),
 * the built dist/, and node_modules (linked, not copied). Nothing of `.local/`, so a test can
 * run `npm start` there without touching a stack the developer is running in the repository.
 */

const ROOT = path.resolve(__dirname, '..', '..');

export interface ProjectCopy {
  readonly dir: string;
  remove(): void;
}

export function copyProject(name: string): ProjectCopy {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((file) => file !== '' && existsSync(path.join(ROOT, file)));
  for (const file of listed) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    // Times kept: the CLI launcher compares the build's time with its sources'.
    cpSync(path.join(ROOT, file), path.join(dir, file), { preserveTimestamps: true });
  }
  if (existsSync(path.join(ROOT, 'dist')))
    cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment of a machine with no AWS profile and no npm settings of the test runner's own. */
export function freshMachineEnv(scratch: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('AWS_') || key.startsWith('npm_') || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: path.join(scratch, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // npx links the project into npm's cache to run its bin: a cache of the test's own, left
    // with the test; offline, so nothing is ever fetched in place of the project's command.
    npm_config_cache: path.join(scratch, 'npm-cache'),
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  };
}

/** A running `npm start` (its script, `tsx local/start.ts`, run directly so Ctrl-C reaches it once). */
export interface LocalStart {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` is in it; rejects when the process ends first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Ctrl-C, then the exit code; a kill if it does not end within 30 s. */
  stop(): Promise<number | null>;
}

export function startLocal(dir: string, args: readonly string[], env: NodeJS.ProcessEnv): LocalStart {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'local/start.ts', ...args], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a last-resort kill reaches tsx's child too.
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    void exited.then(() => (ended = true));
    while (Date.now() < deadline) {
      if (pattern.test(text)) return text;
      if (ended) throw new Error(`npm start ended before ${String(pattern)}:\n${text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no ${String(pattern)} within ${timeoutMs} ms:\n${text}`);
  };
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGINT');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 30_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, output: () => text, waitFor, exited, stop };
}

/** Ports nothing listens on now, for a start whose ports must stay the same across two runs. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

/** Files in `dir` (not recursive), for checking what a start left behind. */
export function entries(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}
