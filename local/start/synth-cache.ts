import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Whether `npm start` can reuse the assembly it synthesized last time (`.local/cdk.out`): the
 * synth is most of a start's time, and its result depends only on the sources the app and its
 * bundles are built from, the context it is given and the locked dependencies. Each is hashed,
 * and the hashes are kept beside the assembly after a synth that succeeded.
 */

/** What the app's synth reads, relative to the project root: the app, its constructs, the function sources, the CDK and TypeScript settings. */
export const SYNTH_SOURCES = ['bin', 'lib', 'lambda', 'cdk.json', 'cdk.context.json', 'package.json', 'tsconfig.json'];

/** Hashes of what one synth was made from. */
export interface SynthInputs {
  /** The files of {@link SYNTH_SOURCES}, by path and content. */
  readonly sources: string;
  /** The context given on the command line (the simulator's URL and key, the user's `--context`...). */
  readonly context: string;
  /** package-lock.json: the CDK library, esbuild and everything bundled into the functions. */
  readonly packageLock: string;
}

export type ReuseDecision = { readonly reuse: true } | { readonly reuse: false; readonly reason: string };

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file under `entry`, sorted, as paths relative to `root`; a missing entry is none. */
function filesUnder(root: string, entry: string): string[] {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full)
    .sort()
    .flatMap((name) => filesUnder(root, path.join(entry, name)));
}

/** The hashes of what a synth of `root` with `context` would be made from. */
export function synthInputs(root: string, context: Readonly<Record<string, string>>): SynthInputs {
  const sources = createHash('sha256');
  for (const file of SYNTH_SOURCES.flatMap((entry) => filesUnder(root, entry))) {
    // The path as well as the bytes: a renamed or moved file is a different app.
    sources.update(`${file.split(path.sep).join('/')}\0`);
    sources.update(readFileSync(path.join(root, file)));
    sources.update('\0');
  }
  const sortedContext = Object.fromEntries(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
  const lock = path.join(root, 'package-lock.json');
  return {
    sources: sources.digest('hex'),
    context: sha256(JSON.stringify(sortedContext)),
    packageLock: existsSync(lock) ? sha256(readFileSync(lock)) : 'none',
  };
}

/** Where the hashes of the assembly in `outdir` are kept: beside it, since the synth owns `outdir`. */
export function inputsFileFor(outdir: string): string {
  return `${outdir}.inputs.json`;
}

function readRecorded(outdir: string): Partial<SynthInputs> | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(inputsFileFor(outdir), 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Partial<SynthInputs>) : undefined;
  } catch {
    return undefined;
  }
}

const WHAT_CHANGED: Readonly<Record<keyof SynthInputs, string>> = {
  sources: `the sources changed (${SYNTH_SOURCES.join(', ')})`,
  context: 'the context changed (ports, --subscribers or --context)',
  packageLock: 'package-lock.json changed',
};

/** Reuse the assembly in `outdir` only when it is complete and was made from exactly `inputs`; else say why not. */
export function reuseDecision(outdir: string, inputs: SynthInputs): ReuseDecision {
  if (!existsSync(path.join(outdir, 'manifest.json'))) return { reuse: false, reason: 'there is no earlier synth' };
  const recorded = readRecorded(outdir);
  if (recorded === undefined) return { reuse: false, reason: 'the earlier synth did not record its inputs' };
  const changed = (Object.keys(WHAT_CHANGED) as (keyof SynthInputs)[]).filter((key) => recorded[key] !== inputs[key]);
  if (changed.length > 0) return { reuse: false, reason: changed.map((key) => WHAT_CHANGED[key]).join('; ') };
  return { reuse: true };
}

/** Forgets the record before a synth starts, so an interrupted or failed synth is never reused. */
export function forgetSynth(outdir: string): void {
  rmSync(inputsFileFor(outdir), { force: true });
}

/** Records what the assembly in `outdir` was just made from. */
export function recordSynth(outdir: string, inputs: SynthInputs): void {
  writeFileSync(inputsFileFor(outdir), `${JSON.stringify(inputs, null, 2)}\n`);
}
