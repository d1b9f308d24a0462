// Builds what the published package ships into dist/ (git-ignored), run by `npm run build` and by
// npm's `prepare` (so `npm ci` and `npm pack` build it):
// - the library's JavaScript and declarations (tsc, tsconfig.build.json);
// - each function's deployable bundle, dist/assets/<function>/, made by synthesizing the
//   functions from source with VoltFunction itself, so the shipped bundle is what an in-repo
//   synth deploys, built by one definition;
// - the CLI as one CommonJS file, dist/cli/volt-webhooks.cjs, that starts fast (docs/packaging.md);
// - the console's page next to it, dist/cli/console/ (its HTML, CSS and one minified script).
import { App, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ASSET_FILES, bundleConsoleScript } from '../cli/console/assets';
import { PROJECT_ROOT, VoltFunction } from '../lib/constructs/volt-function';
import { BUILD_INFO_FILE, CLI_BUNDLE, CLI_INPUTS_FILE, DIST } from './build-outputs';

/** tsc in its own process, so it compiles while this one bundles. */
function compileLibrary(): Promise<void> {
  return new Promise((resolve, reject) => {
    const tsc = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
    });
    tsc.on('error', reject);
    tsc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tsc exited with ${code}`))));
  });
}

function bundleFunctions(): string[] {
  const functionDirs = readdirSync(path.join(PROJECT_ROOT, 'lambda')).filter((dir) =>
    existsSync(path.join(PROJECT_ROOT, 'lambda', dir, 'handler.ts')),
  );
  // Inside the project, not the system's temp folder: the source maps name their sources relative
  // to the bundle's folder, so from here they read `../../../node_modules/...` on every machine,
  // and the package's contents do not depend on where the checkout is.
  const scratch = path.join(PROJECT_ROOT, '.cache');
  mkdirSync(scratch, { recursive: true });
  const outdir = mkdtempSync(path.join(scratch, 'build-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Build');
    const functions = functionDirs.map(
      (dir) => [dir, new VoltFunction(stack, dir, { functionDir: dir, description: dir })] as const,
    );
    app.synth();
    for (const [dir, fn] of functions) {
      const asset = (fn.node.defaultChild as lambda.CfnFunction).cfnOptions.metadata?.['aws:asset:path'] as unknown;
      if (typeof asset !== 'string') throw new Error(`No bundle was staged for the ${dir} function`);
      cpSync(path.join(outdir, asset), path.join(DIST, 'assets', dir), { recursive: true });
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
  return functionDirs;
}

async function bundleCli(): Promise<void> {
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, 'cli', 'main.ts')],
    outfile: CLI_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // The SDK's ES modules let esbuild drop the commands the CLI never sends: a bundle 40% smaller
    // that starts about 140 ms sooner than one built from the SDK's CommonJS (docs/packaging.md).
    mainFields: ['module', 'main'],
    // Whitespace and syntax only: a stack trace of an unexpected error keeps readable names.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Only a source checkout bundles the console's script at run time (cli/console/assets.ts).
    external: ['esbuild'],
  });
  // What the bin launcher compares the bundle against in a source checkout, to run the sources
  // instead of a stale build (cli/volt-webhooks.cjs).
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .concat('package-lock.json');
  writeFileSync(CLI_INPUTS_FILE, JSON.stringify(inputs, null, 2) + '\n');
}

/** The console's page, served by the bundled CLI from dist/cli/console/. */
async function buildConsoleAssets(): Promise<void> {
  const source = path.join(PROJECT_ROOT, 'cli', 'console', 'assets');
  const target = path.join(path.dirname(CLI_BUNDLE), 'console');
  mkdirSync(target, { recursive: true });
  cpSync(path.join(source, ASSET_FILES.html), path.join(target, ASSET_FILES.html));
  cpSync(path.join(source, ASSET_FILES.css), path.join(target, ASSET_FILES.css));
  writeFileSync(path.join(target, ASSET_FILES.js), await bundleConsoleScript(source, true));
}

async function main(): Promise<void> {
  // `npx volt-webhooks` in a clone links the clone into npm's npx cache, which runs `prepare`
  // again: a full build (a minute or more) before the first command prints anything. The
  // launcher already runs the sources when dist/ is stale, so there is nothing to build for it.
  if (process.env['npm_command'] === 'exec' && process.env['npm_lifecycle_event'] === 'prepare') return;
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  const compiled = compileLibrary();
  compiled.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection first
  const functions = bundleFunctions();
  await bundleCli();
  await buildConsoleAssets();
  await compiled;
  writeFileSync(BUILD_INFO_FILE, JSON.stringify({ builtAt: new Date().toISOString(), functions }, null, 2) + '\n');
  console.log(
    `dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s: library, ${functions.join(', ')} bundles, CLI, console page`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
