import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Bundle } from './assembly';
import { median } from './stats';

/**
 * Cold load: a fresh Node process imports a handler module and handles one event, against a
 * fresh process doing the same with an empty handler. Runs alternate, so that load from other
 * work on the machine falls on both sides alike.
 */

export interface ColdResult {
  readonly bundleMs: readonly number[];
  readonly emptyMs: readonly number[];
  /** Import plus one event, timed inside the child. */
  readonly bundleInsideMs: readonly number[];
  /** The import alone, timed inside the child. */
  readonly bundleImportMs: readonly number[];
  readonly ratio: number;
}

const CHILD = path.join(__dirname, 'cold-child.mjs');
export const EMPTY_HANDLER = path.join(__dirname, 'empty-handler.mjs');

function runOnce(
  module: string,
  eventFile: string,
  env: NodeJS.ProcessEnv,
  accept: (result: unknown) => boolean,
): Promise<{ wallMs: number; insideMs: number; importMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // stdout is where the handlers log, as on Lambda: discarded here.
    const child = spawn(process.execPath, [CHILD, module, eventFile], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      const line = stderr
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"ms"'));
      if (code !== 0 || !line) return reject(new Error(`cold run of ${module} failed (exit ${code}):\n${stderr}`));
      const parsed = JSON.parse(line) as { ms: number; importMs: number; result: unknown };
      if (!accept(parsed.result))
        return reject(new Error(`cold run of ${module} handled the event wrongly: ${JSON.stringify(parsed.result)}`));
      resolve({ wallMs, insideMs: parsed.ms, importMs: parsed.importMs });
    });
  });
}

export async function measureCold(options: {
  readonly bundle: Pick<Bundle, 'entry' | 'nodeOptions'>;
  readonly event: unknown;
  readonly env: NodeJS.ProcessEnv;
  readonly accept: (result: unknown) => boolean;
  readonly runs: number;
  readonly workDir: string;
  readonly label: string;
}): Promise<ColdResult> {
  const eventFile = path.join(options.workDir, `${options.label}-event.json`);
  writeFileSync(eventFile, JSON.stringify(options.event));
  // Both sides run with the function's NODE_OPTIONS, as Lambda would start them.
  const env = { ...options.env, NODE_OPTIONS: options.bundle.nodeOptions };
  const bundleMs: number[] = [];
  const emptyMs: number[] = [];
  const bundleInsideMs: number[] = [];
  const bundleImportMs: number[] = [];
  // One of each first, unmeasured: it warms the file cache.
  await runOnce(EMPTY_HANDLER, eventFile, env, () => true);
  await runOnce(options.bundle.entry, eventFile, env, options.accept);
  for (let i = 0; i < options.runs; i++) {
    const first = i % 2 === 0;
    if (first) emptyMs.push((await runOnce(EMPTY_HANDLER, eventFile, env, () => true)).wallMs);
    const b = await runOnce(options.bundle.entry, eventFile, env, options.accept);
    bundleMs.push(b.wallMs);
    bundleInsideMs.push(b.insideMs);
    bundleImportMs.push(b.importMs);
    if (!first) emptyMs.push((await runOnce(EMPTY_HANDLER, eventFile, env, () => true)).wallMs);
  }
  return { bundleMs, emptyMs, bundleInsideMs, bundleImportMs, ratio: median(bundleMs) / median(emptyMs) };
}
