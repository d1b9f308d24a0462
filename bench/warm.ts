import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Contender, EventKind } from './lineup';
import type { Runtime } from './runtimes';
import type { Trust } from './tls';

/**
 * Warm cost per event over TLS, every handler of the line-up in one process per runtime
 * (bench/warm-child.mjs): the SDK's whole request path, the connection kept alive as on Lambda.
 * CPU time of the child only, so the fakes' work in this process is not counted.
 */

export interface WarmResult {
  /** Per contender id, per round: CPU µs per event. */
  readonly cpuUs: Record<string, number[]>;
  /** Per contender id, per round: wall µs per event (fakes' answers included). */
  readonly wallUs: Record<string, number[]>;
  /** Bytes the handlers wrote to stdout over the whole run (their logs). */
  readonly logBytes: number;
}

export function measureWarm(options: {
  readonly runtime: Runtime;
  readonly contenders: readonly Contender[];
  readonly events: Readonly<Record<EventKind, readonly unknown[]>>;
  readonly recordsPerBatch: number;
  readonly env: NodeJS.ProcessEnv;
  readonly trust: Trust;
  readonly rounds: number;
  readonly perBlock: number;
  readonly warmup: number;
  readonly workDir: string;
}): Promise<WarmResult> {
  const configFile = path.join(options.workDir, `warm-${options.runtime.id}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      contenders: options.contenders.map(({ id, file, format, event }) => ({ id, file, format, event })),
      events: options.events,
      recordsPerBatch: options.recordsPerBatch,
      rounds: options.rounds,
      perBlock: options.perBlock,
      warmup: options.warmup,
    }),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(
      options.runtime.execPath,
      [...options.trust.args, path.join(__dirname, 'warm-child.mjs'), configFile],
      {
        env: { ...options.env, ...options.trust.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let logBytes = 0;
    child.stdout.on('data', (d: Buffer) => (logBytes += d.length));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = stderr
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"cpuUs"'));
      if (code !== 0 || !line)
        return reject(new Error(`warm run on ${options.runtime.label} failed (exit ${code}):\n${stderr}`));
      const parsed = JSON.parse(line) as Pick<WarmResult, 'cpuUs' | 'wallUs'>;
      resolve({ ...parsed, logBytes });
    });
  });
}
