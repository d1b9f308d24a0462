import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  queueOutputIds,
  STACK_OUTPUTS,
  STATE_QUEUE_OUTPUT_PREFIX,
  subscriberEventTypesOutputId,
} from '../lib/stack-outputs';
import { deadLetterRole, QUARANTINE_QUEUE_ROLE, STATE_QUEUE_ROLE } from '../lib/template-contract';
import { LOCAL_STACK_FILE, LocalStackFileError, parseLocalStackFile, type LocalStackFile } from '../local/stack-file';
import { CliError, UsageError } from './command';
import type { StackSelection } from './hints';

/**
 * Finds the deployed (or local) stack a CLI command works on: its outputs, region and, for
 * the local stack, the stand-in endpoints. Shared by every command that talks to the stack
 * (`status`, `history`, `messages`, `failed`, and `send`, `redrive`, `doctor`).
 */

/** The stack name `cdk deploy` uses unless `-c stackName=...` says otherwise. */
export const DEFAULT_STACK_NAME = 'VoltSmsWebhooks';

/** Where the local stack (`npm start`) describes itself, relative to the working directory. */
export { LOCAL_STACK_FILE };

/** The parseArgs options every stack-aware command accepts; spread into the command's own. */
export const STACK_OPTIONS = {
  local: { type: 'boolean', default: false },
  'local-file': { type: 'string' },
  stack: { type: 'string' },
  region: { type: 'string' },
} as const;

/** Help text for {@link STACK_OPTIONS}, to append to a command's help. */
export const STACK_OPTIONS_HELP = `Finding the stack:
  --local                use the local stack (npm start), described by ${LOCAL_STACK_FILE}
  --local-file <file>    use the local stack described by this file instead
  --stack <name>         the deployed CloudFormation stack (default ${DEFAULT_STACK_NAME})
  --region <region>      its region (default: from AWS_REGION or your AWS profile)
  With a deployed stack the usual AWS credentials are used (environment, profile, SSO, role).`;

/** AWS SDK client settings for the stack's services. */
export interface ClientSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface StackContext {
  readonly kind: 'local' | 'deployed';
  /** The stack name, or the local stack file's path. */
  readonly source: string;
  /** `undefined` when the SDK is left to resolve it from the environment or profile. */
  readonly region?: string;
  /** CloudFormation outputs by key; for the local stack, the same keys derived from its file. */
  readonly outputs: Readonly<Record<string, string>>;
  /** The local stack's file as read (any field may be missing in a file from an older version); absent for a deployed stack. */
  readonly local?: Partial<LocalStackFile>;
  /** Client settings for DynamoDB. */
  readonly dynamodb: ClientSettings;
  /** Client settings for SQS. */
  readonly sqs: ClientSettings;
}

export interface StackOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly region?: string;
  /** Directory holding `.local/`. @default process.cwd() */
  readonly cwd?: string;
  /** The local stack's file; implies `local`. @default `<cwd>/.local/stack.json` */
  readonly localFile?: string;
  /** Reads the deployed stack's outputs; tests replace it. @default CloudFormation DescribeStacks */
  readonly describeStack?: (stackName: string, region: string | undefined) => Promise<Record<string, string>>;
}

/** The stand-ins accept any credentials; fixed ones keep the SDK from searching for real ones. A new object each time: the SDK annotates the one it is given. */
const localCredentials = () => ({ accessKeyId: 'local', secretAccessKey: 'local' });

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

/** True for the SDK's "no credentials could be found" family of errors. */
export function isMissingCredentials(err: unknown): boolean {
  const name = errorName(err);
  return (
    name === 'CredentialsProviderError' ||
    name === 'TokenProviderError' ||
    (err instanceof Error && /could not load credentials/i.test(err.message))
  );
}

/** True for the SDK's "region is missing" error. */
export function isMissingRegion(err: unknown): boolean {
  return err instanceof Error && /region is missing/i.test(err.message);
}

/** Node's codes for a host that cannot be reached, as the SDK (and fetch, as a `cause`) pass them on. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/** `host (CODE)` for an error that means the endpoint could not be reached, else undefined. */
export function unreachable(err: unknown): string | undefined {
  let current: unknown = err;
  // Duck-typed, not `instanceof Error`: Node's own errors may come from another realm (jest's VM).
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const e = current as Partial<NodeJS.ErrnoException> & { hostname?: string; address?: string; port?: number };
    if (e.code !== undefined && UNREACHABLE_CODES.has(e.code)) {
      const where = e.hostname ?? (e.address !== undefined ? `${e.address}${e.port ? `:${e.port}` : ''}` : undefined);
      return where ? `${where} (${e.code})` : e.code;
    }
    if (e.name === 'TimeoutError') return 'no answer in time (TimeoutError)';
    // The SDK may wrap Node's error into one that keeps only its text: "connect ECONNREFUSED 127.0.0.1:1".
    const named = /\b(E[A-Z_]+)\b(?:\s+([\w.:[\]-]+))?/.exec(e.message ?? '');
    if (named?.[1] !== undefined && UNREACHABLE_CODES.has(named[1]))
      return named[2] !== undefined ? `${named[2]} (${named[1]})` : named[1];
    current = e.cause;
  }
  return undefined;
}

/** AWS_ENDPOINT_URL settings that send the SDK somewhere else, named in a "cannot reach" error. */
function endpointOverrides(): string {
  const names = Object.keys(process.env).filter((k) => k === 'AWS_ENDPOINT_URL' || k.startsWith('AWS_ENDPOINT_URL_'));
  return names.length > 0 ? ` (${names.join(', ')} is set)` : '';
}

/**
 * Turns the SDK errors a user can act on into {@link CliError}s that say what failed and what
 * to check; anything else is returned unchanged. Use it around every call a stack-aware command makes.
 */
export function explainAwsError(err: unknown, ctx?: Pick<StackContext, 'kind' | 'source'>): unknown {
  if (isMissingCredentials(err)) {
    return new CliError(
      'no AWS credentials found: set AWS_PROFILE (or run `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or use --local for the local stack',
    );
  }
  if (isMissingRegion(err))
    return new CliError(
      'no AWS region: pass --region, or set AWS_REGION or a region in your AWS profile; or use --local for the local stack (npm start)',
    );
  const name = errorName(err);
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken')
    return new CliError('your AWS credentials have expired: refresh them (e.g. `aws sso login`) and retry');
  if (
    name === 'UnrecognizedClientException' ||
    name === 'InvalidClientTokenId' ||
    name === 'InvalidSignatureException'
  ) {
    return new CliError(`AWS rejected the credentials (${name}): check AWS_PROFILE or your access keys`);
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied')
    return new CliError(`access denied: ${(err as Error).message}`);
  const where = unreachable(err);
  if (where !== undefined) {
    if (ctx?.kind === 'local')
      return new CliError(
        `the local stack does not answer: ${where}: is \`npm start\` running? (described by ${ctx.source})`,
      );
    return new CliError(
      `cannot reach AWS: ${where}: check --region, your network and your AWS endpoint settings${endpointOverrides()}, or use --local for the local stack`,
    );
  }
  // Any other answer from an AWS service: its error name and message, not the SDK's error object.
  if (err instanceof Error && '$metadata' in err)
    return new CliError(`AWS refused the request: ${name}: ${err.message}`);
  return err;
}

/** A {@link CliError} for any failure: explained when it is an AWS error, else its name and message. */
export function describeFailure(err: unknown): CliError {
  const explained = explainAwsError(err);
  if (explained instanceof CliError) return explained;
  if (err instanceof Error) return new CliError(`${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`);
  return new CliError(String(err));
}

async function describeWithCloudFormation(
  stackName: string,
  region: string | undefined,
): Promise<Record<string, string>> {
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs: Record<string, string> = {};
    for (const o of Stacks?.[0]?.Outputs ?? [])
      if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
    return outputs;
  } catch (err: unknown) {
    if (errorName(err) === 'ValidationError' && /does not exist/i.test((err as Error).message)) {
      throw new CliError(
        `stack "${stackName}" not found${region ? ` in ${region}` : ''}: check --stack and --region, or deploy it with \`npx cdk deploy\``,
      );
    }
    throw explainAwsError(err, { kind: 'deployed', source: stackName });
  } finally {
    client.destroy();
  }
}

function readLocalFile(file: string): Partial<LocalStackFile> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err: unknown) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new CliError(`${file} not found: start the local stack with \`npm start\` (in this directory) first`);
    throw new CliError(`cannot read ${file}: ${code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON: restart the local stack to rewrite it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError(`${file} does not hold a JSON object`);
  try {
    return parseLocalStackFile(parsed, file);
  } catch (err: unknown) {
    if (err instanceof LocalStackFileError) throw new CliError(`${err.message}: restart the local stack to rewrite it`);
    throw err;
  }
}

/** The output keys a deployed stack has, derived from the local stack's file so commands read one shape. */
function outputsOfLocal(local: Partial<LocalStackFile>): Record<string, string> {
  const outputs: Record<string, string> = {};
  if (local.webhookUrl !== undefined) outputs[STACK_OUTPUTS.webhookUrl] = local.webhookUrl;
  if (local.tableName !== undefined) outputs[STACK_OUTPUTS.tableName] = local.tableName;
  if (local.voltProbeSignature !== undefined) outputs[STACK_OUTPUTS.voltProbeSignature] = local.voltProbeSignature;
  const queues = local.queueUrls ?? {};
  const state = queueOutputIds(STATE_QUEUE_OUTPUT_PREFIX);
  const stateUrl = queues[STATE_QUEUE_ROLE];
  const stateDlqUrl = queues[deadLetterRole(STATE_QUEUE_ROLE)];
  if (stateUrl !== undefined) outputs[state.queueUrl] = stateUrl;
  if (stateDlqUrl !== undefined) outputs[state.dlqUrl] = stateDlqUrl;
  if (local.archiveBucket !== undefined) outputs[STACK_OUTPUTS.archiveBucketName] = local.archiveBucket;
  if (local.archivePrefix !== undefined) outputs[STACK_OUTPUTS.archivePrefix] = local.archivePrefix;
  for (const [name, types] of Object.entries(local.subscriberEventTypes ?? {}))
    outputs[subscriberEventTypesOutputId(name)] = types;
  return outputs;
}

/** Resolves the stack a command works on, from `--local` or `--stack`/`--region`. */
export async function resolveStackContext(options: StackOptions): Promise<StackContext> {
  if (options.local || options.localFile !== undefined) {
    if (options.stack !== undefined) throw new UsageError('--local and --stack exclude each other');
    const file = path.resolve(options.cwd ?? process.cwd(), options.localFile ?? LOCAL_STACK_FILE);
    const local = readLocalFile(file);
    const region = options.region ?? local.region ?? 'us-east-1';
    const settings = (endpoint: string | undefined): ClientSettings => ({
      region,
      credentials: localCredentials(),
      ...(endpoint ? { endpoint } : {}),
    });
    return {
      kind: 'local',
      source: file,
      region,
      outputs: outputsOfLocal(local),
      local,
      dynamodb: settings(local.dynamodbEndpoint),
      sqs: settings(local.sqsEndpoint),
    };
  }
  const stackName = options.stack ?? DEFAULT_STACK_NAME;
  const describe = options.describeStack ?? describeWithCloudFormation;
  const outputs = await describe(stackName, options.region);
  const settings: ClientSettings = options.region ? { region: options.region } : {};
  return {
    kind: 'deployed',
    source: stackName,
    ...(options.region ? { region: options.region } : {}),
    outputs,
    dynamodb: settings,
    sqs: settings,
  };
}

/** {@link StackOptions} from the values parseArgs returned for {@link STACK_OPTIONS}. */
export function stackOptionsFrom(values: {
  local?: boolean;
  'local-file'?: string;
  stack?: string;
  region?: string;
}): StackOptions {
  return {
    ...(values.local ? { local: true } : {}),
    ...(values['local-file'] !== undefined ? { localFile: values['local-file'] } : {}),
    ...(values.stack !== undefined ? { stack: values.stack } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
  };
}

/**
 * The flags that select `ctx` again, for a command printed as advice: `--local` for the local
 * stack file of the working directory, else `--local-file`; `--stack` (when not the default)
 * and `--region` for a deployed stack.
 */
export function selectionOf(
  ctx: Pick<StackContext, 'kind' | 'source' | 'region'>,
  cwd = process.cwd(),
): StackSelection {
  if (ctx.kind === 'local') {
    if (ctx.source === path.resolve(cwd, LOCAL_STACK_FILE)) return { local: true };
    const relative = path.relative(cwd, ctx.source);
    return { localFile: relative.startsWith('..') || path.isAbsolute(relative) ? ctx.source : relative };
  }
  return {
    ...(ctx.source !== DEFAULT_STACK_NAME ? { stack: ctx.source } : {}),
    ...(ctx.region !== undefined ? { region: ctx.region } : {}),
  };
}

/** An output the command needs; a clear error when the stack (an older version, say) lacks it. */
export function requireOutput(ctx: StackContext, key: string): string {
  const value = ctx.outputs[key];
  if (value === undefined || value === '') {
    const where = ctx.kind === 'local' ? `the local stack file ${ctx.source}` : `stack "${ctx.source}"`;
    throw new CliError(`${where} has no ${key} output: redeploy (or restart the local stack) with this version`);
  }
  return value;
}

/** The quarantine queue's URL: the local stack file's `quarantine` queue, or the deployed stack's output. */
export function quarantineQueueUrl(ctx: StackContext): string | undefined {
  return ctx.kind === 'local'
    ? ctx.local?.queueUrls?.[QUARANTINE_QUEUE_ROLE]
    : ctx.outputs[STACK_OUTPUTS.quarantineQueueUrl];
}
