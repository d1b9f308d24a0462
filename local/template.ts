import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Reads a synthesized CDK stack (template + assets manifest) and resolves CloudFormation
 * intrinsics to local values, so the local runner builds exactly what `cdk deploy` would.
 */

/** A JSON value as found in a template. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Metadata?: JsonObject;
  readonly DependsOn?: string | string[];
}

export interface CfnTemplate {
  readonly Resources: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, { Value: Json; Description?: string }>;
  readonly Parameters?: Record<string, { Type: string; Default?: Json }>;
  readonly Mappings?: Record<string, Record<string, Record<string, Json>>>;
}

export interface LoadedStack {
  readonly stackName: string;
  readonly outdir: string;
  readonly template: CfnTemplate;
  /** Asset hash -> absolute directory (or file) holding the asset's source. */
  readonly assets: ReadonlyMap<string, string>;
}

/** Thrown for anything in the template the runner cannot honour: names the resource and the reason. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

interface AssemblyManifest {
  artifacts?: Record<
    string,
    { type: string; displayName?: string; properties?: { templateFile?: string; file?: string } }
  >;
}

interface AssetManifest {
  files?: Record<
    string,
    { source: { path: string; packaging?: string }; destinations?: Record<string, { objectKey?: string }> }
  >;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TemplateError(`cannot read ${file}: ${reason}`);
  }
}

/**
 * Loads one stack from a cloud assembly directory (`cdk synth -o <outdir>`). With several
 * stacks in the assembly, `stackName` picks one.
 */
export function loadStack(outdir: string, stackName?: string): LoadedStack {
  const manifestFile = path.join(outdir, 'manifest.json');
  if (!existsSync(manifestFile))
    throw new TemplateError(`${outdir} is not a cloud assembly (no manifest.json); run cdk synth first`);
  const manifest = readJson<AssemblyManifest>(manifestFile);
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(([, a]) => a.type === 'aws:cloudformation:stack');
  const chosen = stackName ? stacks.find(([id, a]) => id === stackName || a.displayName === stackName) : stacks[0];
  if (!chosen) {
    throw new TemplateError(
      `stack ${stackName ?? '(any)'} not found in ${outdir}; it has: ${stacks.map(([id]) => id).join(', ') || 'no stacks'}`,
    );
  }
  if (!stackName && stacks.length > 1)
    throw new TemplateError(`${outdir} holds several stacks (${stacks.map(([id]) => id).join(', ')}); name one`);
  const [artifactId, artifact] = chosen;
  const templateFile = artifact.properties?.templateFile;
  if (!templateFile) throw new TemplateError(`stack ${artifactId} has no template file in the manifest`);
  const template = readJson<CfnTemplate>(path.join(outdir, templateFile));

  // Map each asset's S3 object key (what the template names) to its directory in the assembly.
  const assets = new Map<string, string>();
  for (const a of Object.values(manifest.artifacts ?? {})) {
    if (a.type !== 'cdk:asset-manifest' || !a.properties?.file) continue;
    const assetManifest = readJson<AssetManifest>(path.join(outdir, a.properties.file));
    for (const [hash, file] of Object.entries(assetManifest.files ?? {})) {
      const source = path.resolve(outdir, file.source.path);
      assets.set(hash, source);
      for (const destination of Object.values(file.destinations ?? {})) {
        if (destination.objectKey) assets.set(destination.objectKey, source);
      }
    }
  }
  return { stackName: artifactId, outdir: path.resolve(outdir), template, assets };
}

/** The pseudo parameters and values of every resource, as the local deployment gives them. */
export interface ResolveContext {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly stackName: string;
  /** The template, for parameter defaults, mappings and existence checks. */
  readonly template: CfnTemplate;
  /** `Ref` value of each resource by logical id. */
  readonly refs: ReadonlyMap<string, string>;
  /** `Fn::GetAtt` values: logical id -> attribute -> value. */
  readonly attributes: ReadonlyMap<string, Readonly<Record<string, Json>>>;
}

export function stackId(ctx: Pick<ResolveContext, 'partition' | 'region' | 'accountId' | 'stackName'>): string {
  return `arn:${ctx.partition}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/00000000-0000-0000-0000-000000000000`;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asString(value: Json, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateError(`${where}: expected a string, got ${JSON.stringify(value)}`);
}

function refValue(name: string, ctx: ResolveContext, where: string): string {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return ctx.partition;
    case 'AWS::URLSuffix':
      return ctx.urlSuffix;
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::StackId':
      return stackId(ctx);
    case 'AWS::NotificationARNs':
      return '';
  }
  const ref = ctx.refs.get(name);
  if (ref !== undefined) return ref;
  const parameter = ctx.template.Parameters?.[name];
  if (parameter) {
    // SSM-typed parameters (the bootstrap version) have no local store: their default names the path.
    if (parameter.Default === undefined)
      throw new TemplateError(`${where}: parameter ${name} has no default and no local value`);
    return asString(parameter.Default, where);
  }
  if (ctx.template.Resources[name])
    throw new TemplateError(
      `${where}: Ref ${name} has no local value yet (resource type ${ctx.template.Resources[name]?.Type})`,
    );
  throw new TemplateError(`${where}: Ref to ${name}, which is not in the template`);
}

function getAtt(id: string, attribute: string, ctx: ResolveContext, where: string): Json {
  const resource = ctx.template.Resources[id];
  if (!resource) throw new TemplateError(`${where}: Fn::GetAtt ${id}.${attribute}: no resource ${id} in the template`);
  const value = ctx.attributes.get(id)?.[attribute];
  if (value === undefined)
    throw new TemplateError(
      `${where}: Fn::GetAtt ${id}.${attribute} has no local value (resource type ${resource.Type})`,
    );
  return value;
}

/** `${Name}`, `${Res.Attr}` and the `${!Literal}` escape of Fn::Sub. */
function substitute(text: string, variables: Record<string, Json>, ctx: ResolveContext, where: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    const variable = variables[name];
    if (variable !== undefined) return asString(variable, where);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::'))
      return asString(getAtt(name.slice(0, dot), name.slice(dot + 1), ctx, where), where);
    return refValue(name, ctx, where);
  });
}

function evaluateCondition(name: string, ctx: ResolveContext, where: string): boolean {
  const conditions = (ctx.template as { Conditions?: Record<string, Json> }).Conditions;
  const condition = conditions?.[name];
  if (condition === undefined) throw new TemplateError(`${where}: condition ${name} is not in the template`);
  const value = resolveValue(condition, ctx, `${where} (condition ${name})`);
  if (typeof value !== 'boolean') throw new TemplateError(`${where}: condition ${name} does not evaluate to a boolean`);
  return value;
}

/** The marker Fn::If and AWS::NoValue leave behind, removed from objects and arrays. */
const NO_VALUE = '\u0000AWS::NoValue';

type Intrinsic = (arg: Json, ctx: ResolveContext, where: string) => Json;

function pair(arg: Json, name: string, shape: string, where: string): [Json | undefined, Json | undefined] {
  if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: ${name} takes ${shape}`);
  return [arg[0], arg[1]];
}

function listOf(value: Json, name: string, where: string): Json[] {
  if (!Array.isArray(value)) throw new TemplateError(`${where}: ${name}'s list does not resolve to a list`);
  return value;
}

function getAttIntrinsic(arg: Json, ctx: ResolveContext, where: string): Json {
  const [id, ...rest] = Array.isArray(arg)
    ? arg.map((a) => asString(resolveValue(a, ctx, where), where))
    : asString(arg, where).split('.');
  if (!id || rest.length === 0) throw new TemplateError(`${where}: malformed Fn::GetAtt ${JSON.stringify(arg)}`);
  return getAtt(id, rest.join('.'), ctx, where);
}

function subIntrinsic(arg: Json, ctx: ResolveContext, where: string): Json {
  if (typeof arg === 'string') return substitute(arg, {}, ctx, where);
  if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || !isObject(arg[1])) {
    throw new TemplateError(`${where}: Fn::Sub takes a string or [string, {variables}]`);
  }
  const variables: Record<string, Json> = {};
  for (const [name, v] of Object.entries(arg[1]))
    variables[name] = resolveValue(v, ctx, `${where} (Fn::Sub variable ${name})`);
  return substitute(arg[0], variables, ctx, where);
}

function selectIntrinsic(arg: Json, ctx: ResolveContext, where: string): Json {
  const [indexArg, listArg] = pair(arg, 'Fn::Select', '[index, list]', where);
  const index = Number(resolveValue(indexArg ?? 0, ctx, where));
  const list = listOf(resolveValue(listArg ?? [], ctx, where), 'Fn::Select', where);
  const item = list[index];
  if (!Number.isInteger(index) || item === undefined)
    throw new TemplateError(`${where}: Fn::Select index ${index} is out of range (list of ${list.length})`);
  return item;
}

function findInMapIntrinsic(arg: Json, ctx: ResolveContext, where: string): Json {
  if (!Array.isArray(arg) || arg.length < 3) throw new TemplateError(`${where}: Fn::FindInMap takes [map, key, key]`);
  const [map, top, second] = arg.slice(0, 3).map((a) => asString(resolveValue(a, ctx, where), where));
  const found = ctx.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
  if (found === undefined)
    throw new TemplateError(`${where}: Fn::FindInMap ${map}.${top}.${second} is not in the template`);
  return found;
}

function booleanIntrinsic(name: 'Fn::Not' | 'Fn::And' | 'Fn::Or'): Intrinsic {
  return (arg, ctx, where) => {
    const list = Array.isArray(arg) ? arg.map((v) => resolveValue(v, ctx, where)) : [];
    if (!list.every((v): v is boolean => typeof v === 'boolean'))
      throw new TemplateError(`${where}: ${name} takes conditions`);
    if (name === 'Fn::Not') return !list[0];
    return name === 'Fn::And' ? list.every(Boolean) : list.some(Boolean);
  };
}

/** The intrinsic functions the local runner resolves, by name. */
const INTRINSICS: Readonly<Record<string, Intrinsic>> = {
  Ref: (arg, ctx, where) => {
    const name = asString(arg, where);
    return name === 'AWS::NoValue' ? NO_VALUE : refValue(name, ctx, where);
  },
  'Fn::GetAtt': getAttIntrinsic,
  'Fn::Join': (arg, ctx, where) => {
    const [delimiter, list] = pair(arg, 'Fn::Join', '[delimiter, list]', where);
    const items = listOf(resolveValue(list ?? [], ctx, where), 'Fn::Join', where);
    return items.map((item) => asString(item, where)).join(asString(delimiter ?? '', where));
  },
  'Fn::Sub': subIntrinsic,
  'Fn::Select': selectIntrinsic,
  'Fn::Split': (arg, ctx, where) => {
    const [delimiter, text] = pair(arg, 'Fn::Split', '[delimiter, string]', where);
    return asString(resolveValue(text ?? '', ctx, where), where).split(asString(delimiter ?? '', where));
  },
  'Fn::Base64': (arg, ctx, where) =>
    Buffer.from(asString(resolveValue(arg, ctx, where), where), 'utf8').toString('base64'),
  'Fn::FindInMap': findInMapIntrinsic,
  'Fn::If': (arg, ctx, where) => {
    if (!Array.isArray(arg) || arg.length !== 3)
      throw new TemplateError(`${where}: Fn::If takes [condition, then, else]`);
    const chosen = evaluateCondition(asString(arg[0] ?? '', where), ctx, where) ? arg[1] : arg[2];
    return resolveValue(chosen ?? null, ctx, where);
  },
  'Fn::Equals': (arg, ctx, where) => {
    if (!Array.isArray(arg) || arg.length !== 2) throw new TemplateError(`${where}: Fn::Equals takes two values`);
    const [a, b] = arg.map((v) => resolveValue(v, ctx, where));
    return JSON.stringify(a) === JSON.stringify(b);
  },
  'Fn::Not': booleanIntrinsic('Fn::Not'),
  'Fn::And': booleanIntrinsic('Fn::And'),
  'Fn::Or': booleanIntrinsic('Fn::Or'),
  Condition: (arg, ctx, where) => evaluateCondition(asString(arg, where), ctx, where),
};

/**
 * Resolves every intrinsic function inside `value` to a plain JSON value.
 * `where` names the place in the template for error messages.
 */
export function resolveValue(value: Json, ctx: ResolveContext, where = 'template'): Json {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveValue(v, ctx, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const name = keys.length === 1 ? keys[0] : undefined;
  const arg = name === undefined ? undefined : value[name];
  if (name !== undefined && arg !== undefined && (name === 'Ref' || name.startsWith('Fn::') || name === 'Condition')) {
    const intrinsic = INTRINSICS[name];
    if (!intrinsic) throw new TemplateError(`${where}: ${name} is not supported by the local runner`);
    return intrinsic(arg, ctx, where);
  }
  const result: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = resolveValue(v, ctx, `${where}.${k}`);
    if (resolved !== NO_VALUE) result[k] = resolved;
  }
  return result;
}

/** Resolves an object-valued property, or returns `{}` when absent. */
export function resolveObject(value: Json | undefined, ctx: ResolveContext, where: string): JsonObject {
  if (value === undefined) return {};
  const resolved = resolveValue(value, ctx, where);
  if (!isObject(resolved)) throw new TemplateError(`${where}: expected an object`);
  return resolved;
}

/** The construct path CDK records on each resource, for readable names. */
export function constructPath(resource: TemplateResource): string | undefined {
  const p = resource.Metadata?.['aws:cdk:path'];
  return typeof p === 'string' ? p : undefined;
}

/** Logical ids of the resources of one type, in template order. */
export function resourcesOfType(template: CfnTemplate, ...types: string[]): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, r]) => types.includes(r.Type));
}

/**
 * Finds the directory holding a function's code: the asset the template's `Code.S3Key`
 * names (through the assets manifest), or the `aws:asset:path` metadata CDK adds.
 */
export function functionCodeDir(stack: LoadedStack, logicalId: string): string {
  const resource = stack.template.Resources[logicalId];
  if (!resource) throw new TemplateError(`no resource ${logicalId}`);
  const code = resource.Properties?.['Code'];
  if (isObject(code)) {
    if (typeof code['ZipFile'] === 'string')
      throw new TemplateError(`${logicalId}: inline ZipFile code is not supported by the local runner`);
    const key = code['S3Key'];
    if (typeof key === 'string') {
      const dir = stack.assets.get(key) ?? stack.assets.get(key.replace(/\.zip$/, ''));
      if (dir) return dir;
    }
  }
  const assetPath = resource.Metadata?.['aws:asset:path'];
  if (typeof assetPath === 'string') return path.resolve(stack.outdir, assetPath);
  throw new TemplateError(
    `${logicalId}: cannot find its code in ${stack.outdir} (no asset for Code.S3Key and no aws:asset:path metadata)`,
  );
}

/** A numeric property (CloudFormation accepts numbers as strings too), or `fallback` when absent or not a number. */
export function numberOr(value: Json | undefined, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  return Number.isFinite(n) ? n : fallback;
}

/** A string property (a number reads as its text), or `undefined`. */
export function stringOf(value: Json | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}
