import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { synthesize } from '../local/synth';
import { constructPath, functionCodeDir, loadStack, resourcesOfType, type LoadedStack } from '../local/template';

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

/** Synthesizes the product's own app (cdk.json) into `outdir` with a pinned key and one subscriber. */
export async function synthBenchAssembly(outdir: string, publicKeyPem: string): Promise<LoadedStack> {
  await synthesize({
    outdir,
    context: {
      voltPublicKeys: JSON.stringify([publicKeyPem]),
      subscribers: JSON.stringify([{ name: 'crm', eventTypes: ['message.received'] }]),
    },
  });
  return loadStack(outdir);
}

export function findBundle(stack: LoadedStack, name: Bundle['name']): Bundle {
  const marker = name === 'ingest' ? '/Ingest/' : '/Consumer/';
  const found = resourcesOfType(stack.template, 'AWS::Lambda::Function').find(([, r]) =>
    (constructPath(r) ?? '').includes(marker),
  );
  if (!found) throw new Error(`no ${name} function in the synthesized template`);
  const [logicalId, resource] = found;
  const dir = functionCodeDir(stack, logicalId);
  const handler = String(resource.Properties?.['Handler'] ?? 'index.handler');
  const base = handler.slice(0, handler.lastIndexOf('.'));
  const file = readdirSync(dir).find((f) => f === `${base}.mjs` || f === `${base}.js` || f === `${base}.cjs`);
  if (!file) throw new Error(`${name}: no ${base}.mjs/.js in ${dir}`);
  const entry = path.join(dir, file);
  const env =
    (resource.Properties?.['Environment'] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const nodeOptions = typeof env['NODE_OPTIONS'] === 'string' ? env['NODE_OPTIONS'] : '';
  return {
    name,
    dir,
    entry,
    bytes: statSync(entry).size,
    nodeOptions,
    memoryMb: Number(resource.Properties?.['MemorySize'] ?? 128),
  };
}
