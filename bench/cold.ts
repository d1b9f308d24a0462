import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Contender, EventKind } from './lineup';
import type { Runtime } from './runtimes';
import { NO_TRUST, type Trust } from './tls';
import { prng, shuffle } from './events';

/**
 * Cold starts: a fresh Node process loads one handler module and handles one event. Every round
 * runs every contender once on every runtime, all in one shuffled order, so that whatever else the
 * machine does falls on all of them alike; the ratios are then taken within a round.
 */

export interface ColdSample {
  /** Wall time of the whole process, spawn to exit, as the parent sees it. */
  readonly wallMs: number;
  /** Inside the child: from process start to the handler's answer. */
  readonly sinceStartMs: number;
  /** Inside the child: loading the module alone. */
  readonly importMs: number;
  /** Inside the child: CPU time (user + system) of the process from its start to the answer. */
  readonly cpuMs: number;
}

/** Samples by runtime id, then contender id; index i of every list is round i. */
export type ColdMatrix = Record<string, Record<string, ColdSample[]>>;

const CHILD = path.join(__dirname, 'cold-child.mjs');

export function runCold(
  runtime: Runtime,
  contender: Contender,
  eventFile: string,
  env: NodeJS.ProcessEnv,
  accept: (result: unknown) => boolean,
  trust: Trust,
): Promise<ColdSample> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // stdout is where handlers log, as on Lambda: discarded here.
    const child = spawn(runtime.execPath, [...trust.args, CHILD, contender.file, contender.format, eventFile], {
      env: { ...env, ...trust.env, NODE_OPTIONS: contender.nodeOptions },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      const line = stderr
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"ms"'));
      const where = `${contender.id} on ${runtime.label}`;
      if (code !== 0 || !line) return reject(new Error(`cold run of ${where} failed (exit ${code}):\n${stderr}`));
      const parsed = JSON.parse(line) as { importMs: number; sinceStartMs: number; cpuMs: number; result: unknown };
      if (!accept(parsed.result))
        return reject(new Error(`cold run of ${where} handled the event wrongly: ${JSON.stringify(parsed.result)}`));
      resolve({ wallMs, sinceStartMs: parsed.sinceStartMs, importMs: parsed.importMs, cpuMs: parsed.cpuMs });
    });
  });
}

export async function measureColdMatrix(options: {
  readonly runtimes: readonly Runtime[];
  readonly contenders: readonly Contender[];
  readonly events: Readonly<Record<EventKind, unknown>>;
  readonly accept: Readonly<Record<EventKind, (result: unknown) => boolean>>;
  readonly env: NodeJS.ProcessEnv;
  /** By runtime id: how that runtime trusts the fakes' certificate. */
  readonly trust: Readonly<Record<string, Trust>>;
  readonly rounds: number;
  readonly workDir: string;
  readonly seed?: number;
  readonly progress?: (round: number) => void;
}): Promise<ColdMatrix> {
  const eventFiles = {} as Record<EventKind, string>;
  for (const [kind, event] of Object.entries(options.events) as [EventKind, unknown][]) {
    eventFiles[kind] = path.join(options.workDir, `cold-${kind}-event.json`);
    writeFileSync(eventFiles[kind], JSON.stringify(event));
  }
  const once = (runtime: Runtime, c: Contender) =>
    runCold(
      runtime,
      c,
      eventFiles[c.event],
      options.env,
      options.accept[c.event],
      options.trust[runtime.id] ?? NO_TRUST,
    );
  const matrix: ColdMatrix = {};
  // One of each first, unmeasured: it warms the file cache (and fails fast on a broken contender).
  for (const runtime of options.runtimes) {
    matrix[runtime.id] = Object.fromEntries(options.contenders.map((c) => [c.id, []]));
    for (const c of options.contenders) await once(runtime, c);
  }
  const random = prng(options.seed ?? 29);
  for (let round = 0; round < options.rounds; round++) {
    options.progress?.(round);
    const pairs = options.runtimes.flatMap((runtime) => options.contenders.map((c) => ({ runtime, c })));
    for (const { runtime, c } of shuffle(pairs, random)) {
      matrix[runtime.id]?.[c.id]?.push(await once(runtime, c));
    }
  }
  return matrix;
}
