import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The product's own app synthesized with `cdk synth` (cdk.json's app and context, plus a pinned
 * key and one subscriber), and the functions' deployable bundles found in the cloud assembly.
 * Self-contained on purpose: the bench reads the assembly itself instead of depending on the
 * local runner's internals.
 */

const ROOT = path.resolve(__dirname, '..');

/** A function's deployable bundle, as `cdk synth` wrote it into the cloud assembly. */
export interface Bundle {
  readonly name: 'ingest' | 'consumer';
  readonly dir: string;
  /** The file Lambda imports for the handler (`index.handler` -> `index.mjs`). */
  readonly entry: string;
  readonly bytes: number;
  /** The function's NODE_OPTIONS, as the template sets them. */
  readonly nodeOptions: string;
  readonly memoryMb: number;
}

interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface Assembly {
  readonly outdir: string;
  readonly resources: Readonly<Record<string, Resource>>;
}

export async function synthBenchAssembly(
  outdir: string,
  publicKeyPem: string,
  extraContext: Readonly<Record<string, string>> = {},
): Promise<Assembly> {
  const context = {
    voltPublicKeys: JSON.stringify([publicKeyPem]),
    subscribers: JSON.stringify([{ name: 'crm', eventTypes: ['message.received'] }]),
    ...extraContext,
  };
  const args = [path.join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '-q', '-o', outdir];
  for (const [key, value] of Object.entries(context)) args.push('-c', `${key}=${value}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`cdk synth failed (exit ${code}):\n${output}`)),
    );
  });
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.values(manifest.artifacts ?? {}).filter((a) => a.type === 'aws:cloudformation:stack');
  const templateFile = stacks[0]?.properties?.templateFile;
  if (stacks.length !== 1 || !templateFile) throw new Error(`expected one stack in ${outdir}, found ${stacks.length}`);
  const template = JSON.parse(readFileSync(path.join(outdir, templateFile), 'utf8')) as {
    Resources: Record<string, Resource>;
  };
  return { outdir, resources: template.Resources };
}

export function findBundle(assembly: Assembly, name: Bundle['name']): Bundle {
  const marker = name === 'ingest' ? '/Ingest/' : '/Consumer/';
  const found = Object.values(assembly.resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && String(r.Metadata?.['aws:cdk:path'] ?? '').includes(marker),
  );
  if (!found) throw new Error(`no ${name} function in the synthesized template`);
  // CDK records each asset's folder in the assembly on the resource that uses it.
  const assetPath = found.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`${name}: no aws:asset:path metadata`);
  const dir = path.resolve(assembly.outdir, assetPath);
  const handler = String(found.Properties?.['Handler'] ?? 'index.handler');
  const base = handler.slice(0, handler.lastIndexOf('.'));
  const file = readdirSync(dir).find((f) => f === `${base}.mjs` || f === `${base}.js` || f === `${base}.cjs`);
  if (!file) throw new Error(`${name}: no ${base}.mjs/.js in ${dir}`);
  const entry = path.join(dir, file);
  const env = (found.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables;
  const nodeOptions = env?.['NODE_OPTIONS'];
  return {
    name,
    dir,
    entry,
    bytes: statSync(entry).size,
    nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : '',
    memoryMb: Number(found.Properties?.['MemorySize'] ?? 128),
  };
}
