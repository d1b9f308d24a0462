import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

/** A Node.js binary the bench runs handlers on, and what to call it in the output. */
export interface Runtime {
  /** `machine` or `node24`. */
  readonly id: string;
  readonly label: string;
  readonly version: string;
  readonly execPath: string;
}

const NODE24_SCRIPT = path.resolve(__dirname, '..', 'scripts', 'node24.mjs');

/** This machine's Node (the one running the bench), and Node 24 from the npm registry (scripts/node24.mjs). */
export function resolveRuntimes(wanted: readonly string[]): Runtime[] {
  const out: Runtime[] = [];
  if (wanted.includes('machine'))
    out.push({
      id: 'machine',
      label: `Node ${process.versions.node} (this machine)`,
      version: process.versions.node,
      execPath: process.execPath,
    });
  if (wanted.includes('node24')) {
    // Installs on first use (progress on stderr), then answers from the cache.
    const execPath = execFileSync(process.execPath, [NODE24_SCRIPT], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const version = execFileSync(execPath, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    out.push({ id: 'node24', label: `Node ${version} (Lambda's nodejs24.x)`, version, execPath });
  }
  if (out.length === 0) throw new Error(`--runtimes must name machine and/or node24, got ${wanted.join(',')}`);
  return out;
}
