import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { LocalStackPorts } from '../model';
import { PROJECT_ROOT } from '../synth';

/** `npm start`'s command line: flags, their environment variables and defaults. */

export const HELP = `Usage: npm start -- [options]      (or: npx tsx local/start.ts [options])

Runs the stack on this machine from its synthesized template: HTTP API, ingest, queues, consumer,
DynamoDB table, registration with a local Volt simulator. State is in memory unless --data-dir.

  --port <n>            HTTP API port (env LOCAL_HTTP_PORT, default 3000)
  --sqs-port <n>        SQS stand-in port (env LOCAL_SQS_PORT, default 9324)
  --dynamodb-port <n>   DynamoDB stand-in port (env LOCAL_DYNAMODB_PORT, default 8000)
  --secrets-port <n>    Secrets Manager stand-in port (env LOCAL_SECRETS_PORT, default 0)
  --eventbridge-port <n> EventBridge stand-in port (env LOCAL_EVENTBRIDGE_PORT, default 0)
  --s3-port <n>         S3 stand-in port (env LOCAL_S3_PORT, default 0)
  --volt-port <n>       Volt simulator port (env LOCAL_VOLT_PORT, default 4010)
                        0 for any port picks a free one
  --subscribers <json>  subscriber queues, e.g. '[{"name":"crm","eventTypes":["message.received"]}]'
                        (default: cdk.json's, else one "inbox" subscriber for message.received)
  --context k=v         more CDK context for the synth (repeatable); e.g. logLevel=INFO
                        (local default DEBUG: a line per accepted webhook in the live log)
  --data-dir <dir>      keep DynamoDB data (and S3 objects, in its s3/) in this directory between runs
  --force-synth         synthesize even when .local/cdk.out was made from the same sources,
                        context and package-lock.json (it is reused then, without this flag)
  --no-synth            reuse .local/cdk.out whatever changed (same --volt-port and options)
  --demo                send a few messages through the simulator and show their statuses
  --help`;

/** A mistake on the command line: shown with the help. */
export class UsageError extends Error {}

export interface PortOption {
  readonly flag: string;
  readonly env: string;
  readonly fallback: number;
}

/** The port flags of the HTTP API and each stand-in. */
export const PORT_OPTIONS: Readonly<Record<keyof LocalStackPorts, PortOption>> = {
  http: { flag: 'port', env: 'LOCAL_HTTP_PORT', fallback: 3000 },
  sqs: { flag: 'sqs-port', env: 'LOCAL_SQS_PORT', fallback: 9324 },
  dynamodb: { flag: 'dynamodb-port', env: 'LOCAL_DYNAMODB_PORT', fallback: 8000 },
  secretsManager: { flag: 'secrets-port', env: 'LOCAL_SECRETS_PORT', fallback: 0 },
  eventbridge: { flag: 'eventbridge-port', env: 'LOCAL_EVENTBRIDGE_PORT', fallback: 0 },
  s3: { flag: 's3-port', env: 'LOCAL_S3_PORT', fallback: 0 },
};
export const VOLT_PORT: PortOption = { flag: 'volt-port', env: 'LOCAL_VOLT_PORT', fallback: 4010 };

export interface StartOptions {
  readonly ports: Required<LocalStackPorts>;
  readonly voltPort: number;
  /** `--subscribers`, as given. */
  readonly subscribers?: string;
  /** `--context` entries as key -> value. */
  readonly context: Readonly<Record<string, string>>;
  readonly dataDir?: string;
  /** `false`: reuse the last assembly whatever changed (`--no-synth`). */
  readonly synth: boolean;
  /** `--force-synth`: synthesize even when the last assembly was made from the same inputs. */
  readonly forceSynth?: boolean;
  readonly demo: boolean;
}

function portFrom(option: PortOption, value: string | undefined): number {
  const text = value ?? process.env[option.env];
  if (text === undefined || text === '') return option.fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${option.flag} (or ${option.env}) must be a port number 0-65535, got "${text}"`);
  return n;
}

function contextFrom(entries: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context takes key=value, got "${entry}"`);
    context[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return context;
}

/** The options, or `help` when `--help` asks for the usage. */
export function parseStartOptions(args: readonly string[]): StartOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string' },
      'sqs-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'secrets-port': { type: 'string' },
      'eventbridge-port': { type: 'string' },
      's3-port': { type: 'string' },
      'volt-port': { type: 'string' },
      subscribers: { type: 'string' },
      context: { type: 'string', multiple: true },
      'data-dir': { type: 'string' },
      'no-synth': { type: 'boolean', default: false },
      'force-synth': { type: 'boolean', default: false },
      demo: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const ports: Required<LocalStackPorts> = {
    http: portFrom(PORT_OPTIONS.http, values.port),
    sqs: portFrom(PORT_OPTIONS.sqs, values['sqs-port']),
    dynamodb: portFrom(PORT_OPTIONS.dynamodb, values['dynamodb-port']),
    secretsManager: portFrom(PORT_OPTIONS.secretsManager, values['secrets-port']),
    eventbridge: portFrom(PORT_OPTIONS.eventbridge, values['eventbridge-port']),
    s3: portFrom(PORT_OPTIONS.s3, values['s3-port']),
  };
  const voltPort = portFrom(VOLT_PORT, values['volt-port']);
  if (values['no-synth'] && values['force-synth'])
    throw new UsageError('--no-synth and --force-synth exclude each other');
  if (values['no-synth'] && voltPort === 0)
    throw new UsageError('--no-synth reuses a template that holds the simulator URL: give a fixed --volt-port, not 0');
  return {
    ports,
    voltPort,
    ...(values.subscribers !== undefined ? { subscribers: values.subscribers } : {}),
    context: contextFrom(values.context ?? []),
    ...(values['data-dir'] ? { dataDir: path.resolve(values['data-dir']) } : {}),
    synth: !values['no-synth'],
    ...(values['force-synth'] ? { forceSynth: true } : {}),
    demo: values.demo,
  };
}

/** How a port error says to choose another port: the flag. */
export function portHint(service: keyof LocalStackPorts): string {
  return `pass --${PORT_OPTIONS[service].flag} <port> (0 = a free port)`;
}

/** cdk.json (and cdk.context.json) context, to know whether the user configured a value. */
function configuredContext(key: string): unknown {
  for (const file of ['cdk.json', 'cdk.context.json']) {
    try {
      const json = JSON.parse(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')) as {
        context?: Record<string, unknown>;
      };
      const value = file === 'cdk.json' ? json.context?.[key] : (json as Record<string, unknown>)[key];
      if (value !== undefined) return value;
    } catch {
      // Absent or unreadable: cdk synth reports a broken cdk.json itself.
    }
  }
  return undefined;
}

/** The CDK context of the local synth: the simulator and key, local defaults, then the user's `--context`. */
export function synthContext(
  options: StartOptions,
  local: { readonly publicKeyPem: string; readonly voltApiUrl: string; readonly tokenSecret: string },
): Record<string, string> {
  const context: Record<string, string> = {
    voltPublicKeys: JSON.stringify([local.publicKeyPem]),
    voltApiUrl: local.voltApiUrl,
    voltApiTokenSecret: local.tokenSecret,
  };
  // Locally every accepted webhook gets its line in the live log; a deployed stack defaults to INFO.
  if (configuredContext('logLevel') === undefined) context['logLevel'] = 'DEBUG';
  // Locally an archived delivery is in the bucket a second later, not after a minute's batching.
  if (configuredContext('archiveBatchWindowSeconds') === undefined) context['archiveBatchWindowSeconds'] = '1';
  if (options.subscribers !== undefined) context['subscribers'] = options.subscribers;
  else if (configuredContext('subscribers') === undefined)
    context['subscribers'] = JSON.stringify([{ name: 'inbox', eventTypes: ['message.received'] }]);
  return { ...context, ...options.context };
}
