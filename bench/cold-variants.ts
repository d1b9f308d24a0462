import { build } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../local/synth';
import { measureCold, type ColdResult } from './cold';

/**
 * What each bundling choice costs the ingest cold load: the handler rebuilt with esbuild using
 * VoltFunction's options, one choice changed at a time, all measured in the same run.
 */

export interface Variant {
  readonly name: string;
  readonly entry: string;
  readonly credentialAlias: boolean;
  readonly nodeOptions: string;
}

const ROOT = PROJECT_ROOT;
export const INGEST_VARIANTS: readonly Variant[] = [
  {
    name: 'full credential chain, source maps on',
    entry: 'lambda/ingest/handler.ts',
    credentialAlias: false,
    nodeOptions: '--enable-source-maps',
  },
  {
    name: 'env credentials, source maps on',
    entry: 'lambda/ingest/handler.ts',
    credentialAlias: true,
    nodeOptions: '--enable-source-maps',
  },
  {
    name: 'env credentials, no source maps (as deployed)',
    entry: 'lambda/ingest/handler.ts',
    credentialAlias: true,
    nodeOptions: '',
  },
  {
    name: 'SQS client imported, nothing sent',
    entry: 'bench/variants/sqs-import.ts',
    credentialAlias: true,
    nodeOptions: '',
  },
  {
    name: 'SQS client alone, one SendMessage (floor)',
    entry: 'bench/variants/sqs-only.ts',
    credentialAlias: true,
    nodeOptions: '',
  },
];

export async function measureVariants(options: {
  readonly variants: readonly Variant[];
  readonly event: unknown;
  readonly env: NodeJS.ProcessEnv;
  readonly accept: (result: unknown) => boolean;
  readonly runs: number;
  readonly workDir: string;
}): Promise<{ variant: Variant; bytes: number; cold: ColdResult }[]> {
  const out: { variant: Variant; bytes: number; cold: ColdResult }[] = [];
  for (const [i, variant] of options.variants.entries()) {
    const dir = path.join(options.workDir, `variant-${i}`);
    mkdirSync(dir, { recursive: true });
    const outfile = path.join(dir, 'index.mjs');
    await build({
      entryPoints: [path.join(ROOT, variant.entry)],
      outfile,
      bundle: true,
      format: 'esm',
      target: 'node22',
      platform: 'node',
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      alias: variant.credentialAlias
        ? { '@aws-sdk/credential-provider-node': path.join(ROOT, 'lambda/common/env-credentials.ts') }
        : {},
      banner: {
        js: "import { createRequire as __voltCreateRequire } from 'node:module'; const require = __voltCreateRequire(import.meta.url);",
      },
      logLevel: 'error',
    });
    const cold = await measureCold({
      bundle: { entry: outfile, nodeOptions: variant.nodeOptions },
      event: options.event,
      env: options.env,
      accept: options.accept,
      runs: options.runs,
      workDir: dir,
      label: `variant-${i}`,
    });
    out.push({ variant, bytes: statSync(outfile).size, cold });
  }
  return out;
}
