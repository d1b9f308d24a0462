import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

/** Where the build writes, shared by the build script and the tests that check its output. */
export const DIST = path.join(ROOT, 'dist');
export const CLI_BUNDLE = path.join(DIST, 'cli', 'volt-webhooks.cjs');
export const CLI_INPUTS_FILE = path.join(DIST, 'cli', 'inputs.json');
/** Written last: its time is when the build finished. */
export const BUILD_INFO_FILE = path.join(DIST, 'build-info.json');

/** What the build reads: a change to any of them makes dist/ out of date. */
const BUILD_INPUTS = [
  'lib',
  'lambda',
  'cli',
  'scripts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];

function newestFile(file: string): { file: string; mtimeMs: number } {
  const stat = statSync(file);
  if (!stat.isDirectory()) return { file, mtimeMs: stat.mtimeMs };
  return readdirSync(file)
    .map((entry) => newestFile(path.join(file, entry)))
    .reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a), { file, mtimeMs: 0 });
}

/** Why dist/ does not match the sources (the first input changed since the build), or undefined when it does. */
export function staleBuildReason(): string | undefined {
  if (!existsSync(BUILD_INFO_FILE)) return 'dist/ has not been built';
  const builtAt = statSync(BUILD_INFO_FILE).mtimeMs;
  for (const input of BUILD_INPUTS) {
    const newest = newestFile(path.join(ROOT, input));
    if (newest.mtimeMs > builtAt) return `${path.relative(ROOT, newest.file)} changed since the last build`;
  }
  return undefined;
}
