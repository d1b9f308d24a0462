import type { Deployment } from './deployment';
import { handles, type ResourceKind } from './resources/kind';
import { TemplateError, type CfnTemplate, type Json, type TemplateResource } from './template';

/**
 * The engine: gives every resource its `Ref`/`GetAtt` values, then starts the resources in
 * dependency order, each through the module for its type (`resources/`). Resources whose
 * dependencies are all up start together, as CloudFormation creates them.
 */

/** The logical ids of this template's resources that `value` refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`). */
function collectReferences(value: Json | undefined, ids: ReadonlySet<string>, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectReferences(v, ids, into);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [key, arg] of Object.entries(value)) {
    if (key === 'Ref' && typeof arg === 'string' && ids.has(arg)) into.add(arg);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(arg) ? arg[0] : typeof arg === 'string' ? arg.split('.')[0] : undefined;
      if (typeof target === 'string' && ids.has(target)) into.add(target);
    } else if (key === 'Fn::Sub') {
      const text = Array.isArray(arg) ? arg[0] : arg;
      for (const [, name] of typeof text === 'string' ? text.matchAll(/\$\{([^!}][^}.]*)[^}]*\}/g) : []) {
        if (name !== undefined && ids.has(name.trim())) into.add(name.trim());
      }
    }
    collectReferences(arg, ids, into);
  }
}

/** What a resource must wait for: what its properties refer to, and its `DependsOn`. */
export function dependenciesOf(resource: TemplateResource, ids: ReadonlySet<string>): Set<string> {
  const found = new Set<string>();
  collectReferences(resource.Properties, ids, found);
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const id of dependsOn) if (ids.has(id)) found.add(id);
  return found;
}

/** The resources in waves: each wave depends only on earlier ones. */
export function startWaves(template: CfnTemplate): string[][] {
  const ids = new Set(Object.keys(template.Resources));
  const pending = new Map(Object.entries(template.Resources).map(([id, r]) => [id, dependenciesOf(r, ids)] as const));
  const waves: string[][] = [];
  while (pending.size > 0) {
    const wave = [...pending].filter(([, deps]) => [...deps].every((d) => !pending.has(d))).map(([id]) => id);
    if (wave.length === 0)
      throw new TemplateError(`resources ${[...pending.keys()].join(', ')} depend on each other; none can start`);
    for (const id of wave) pending.delete(id);
    waves.push(wave);
  }
  return waves;
}

function kindFor(kinds: readonly ResourceKind[], fallback: ResourceKind, type: string): ResourceKind {
  return kinds.find((k) => handles(k, type)) ?? fallback;
}

/** Starts one wave together; a failure in it is reported once the others settled (their stops are registered). */
async function startWave(
  deployment: Deployment,
  wave: readonly string[],
  kindOf: (type: string) => ResourceKind,
): Promise<void> {
  const outcomes = await Promise.allSettled(
    wave.map(async (id) => {
      const resource = deployment.template.Resources[id];
      const stop = resource ? await kindOf(resource.Type).start?.(id, resource, deployment) : undefined;
      if (stop) deployment.onStop(stop);
    }),
  );
  const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const messages = failures.map((f) => (f instanceof Error ? f.message : String(f)));
    throw new Error(`${failures.length} resources failed to start:\n  ${messages.join('\n  ')}`);
  }
}

/**
 * Deploys the template locally: `kinds` handle the types they name; `fallback` every other
 * type (resources with no local counterpart, which must still resolve).
 */
export async function deploy(
  deployment: Deployment,
  kinds: readonly ResourceKind[],
  fallback: ResourceKind,
): Promise<void> {
  const kindOf = (type: string) => kindFor(kinds, fallback, type);
  const waves = startWaves(deployment.template);
  for (const [id, resource] of Object.entries(deployment.template.Resources)) {
    const provided = await kindOf(resource.Type).provide?.(id, resource, deployment);
    if (!provided) continue;
    deployment.provide(id, provided.ref, provided.attributes);
    if (provided.stop) deployment.onStop(provided.stop);
  }
  for (const wave of waves) await startWave(deployment, wave, kindOf);
}
