import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The page's files. The published CLI serves the copies the build wrote next to its bundle
 * (dist/cli/console/); a source checkout bundles assets/app.ts with esbuild on start, so an edit
 * shows without a build.
 */

export interface ConsoleAssets {
  readonly files: Readonly<Record<string, { readonly type: string; readonly body: string }>>;
}

export const ASSET_FILES = { html: 'index.html', css: 'console.css', js: 'console.js' } as const;

const TYPES = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

function assetsFrom(html: string, css: string, js: string): ConsoleAssets {
  return {
    files: {
      [`/${ASSET_FILES.html}`]: { type: TYPES.html, body: html },
      [`/${ASSET_FILES.css}`]: { type: TYPES.css, body: css },
      [`/${ASSET_FILES.js}`]: { type: TYPES.js, body: js },
    },
  };
}

/** Bundles the browser module, as the build does: one small ES2020 file. */
export async function bundleConsoleScript(sourceDir: string, minify: boolean): Promise<string> {
  // esbuild is a build-time tool, loaded only here: the published CLI never reaches this line
  // (its assets are built) and marks it external. require, not import(): jest's VM runs CommonJS.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { build } = require('esbuild') as typeof import('esbuild');
  const result = await build({
    entryPoints: [path.join(sourceDir, 'app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2020',
    minify,
    legalComments: 'none',
    logLevel: 'warning',
  });
  return result.outputFiles[0]?.text ?? '';
}

export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  // In the bundle __dirname is dist/cli; in the sources, cli/console.
  const built = path.join(__dirname, 'console');
  if (existsSync(path.join(built, ASSET_FILES.js))) {
    const read = (file: string) => readFileSync(path.join(built, file), 'utf8');
    return assetsFrom(read(ASSET_FILES.html), read(ASSET_FILES.css), read(ASSET_FILES.js));
  }
  const source = path.join(__dirname, 'assets');
  return assetsFrom(
    readFileSync(path.join(source, ASSET_FILES.html), 'utf8'),
    readFileSync(path.join(source, ASSET_FILES.css), 'utf8'),
    await bundleConsoleScript(source, false),
  );
}
