import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Runtime } from './runtimes';
import { median } from './stats';

export interface HotResult {
  readonly handlerUs: readonly number[];
  readonly referenceUs: readonly number[];
  /** Median over rounds of the per-round ratio (each round measures both sides back to back). */
  readonly ratio: number;
  readonly sends: number;
  /** Log bytes the handler wrote to stdout per event (what CloudWatch Logs ingests). */
  readonly logBytesPerEvent: number;
}

/** Runs bench/hot-child.ts under tsx in a fresh process of `runtime` (its stdout, the handler's logs, only counted). */
export function measureHot(
  runtime: Runtime,
  which: 'ingest' | 'consumer',
  stubAt: 'send' | 'transport',
  input: unknown,
  workDir: string,
): Promise<HotResult> {
  const inputFile = path.join(workDir, `hot-${runtime.id}-${which}-${stubAt}.json`);
  writeFileSync(inputFile, JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const child = spawn(
      runtime.execPath,
      ['--import', 'tsx', path.join(__dirname, 'hot-child.ts'), which, inputFile, stubAt],
      {
        env: {
          ...process.env,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'bench',
          AWS_SECRET_ACCESS_KEY: 'bench',
          AWS_LAMBDA_FUNCTION_NAME: `bench-${which}`,
        },
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
        .find((l) => l.startsWith('{"which"'));
      if (code !== 0 || !line)
        return reject(new Error(`hot ${which} on ${runtime.label} failed (exit ${code}):\n${stderr}`));
      const r = JSON.parse(line) as { handlerUs: number[]; referenceUs: number[]; sends: number; events: number };
      const ratios = r.handlerUs.map((h, i) => h / (r.referenceUs[i] ?? Number.NaN));
      resolve({
        handlerUs: r.handlerUs,
        referenceUs: r.referenceUs,
        sends: r.sends,
        ratio: median(ratios),
        logBytesPerEvent: logBytes / r.events,
      });
    });
  });
}
