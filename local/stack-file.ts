import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { endpointField, endpointFields, STANDIN_SERVICE_NAMES, type EndpointFields } from './endpoints';
import { STACK_OUTPUTS, subscriberEventTypesOutputId } from '../lib/stack-outputs';
import { archiveBucket, messagesTable, type LocalStack } from './model';

/**
 * `.local/stack.json`: how a running local stack (`npm start`) describes itself to the CLI
 * (`--local`) and to scripts. Written by `start.ts`, read by `cli/stack-context.ts`; both use
 * this type. This module loads no AWS SDK or stand-in, so the CLI can import it.
 */
export interface LocalStackFile extends EndpointFields {
  /** The `WebhookUrl` output; absent when the template has none. */
  readonly webhookUrl?: string;
  readonly region: string;
  /** The messages table; absent when the template has no table. */
  readonly tableName?: string;
  /**
   * Queue URLs by the queues' roles in the template (`state`, `stateDlq`, a subscriber's name
   * and `<name>Dlq`, `quarantine`: see `lib/template-contract.ts`).
   */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The Volt simulator's GraphQL endpoint. */
  readonly voltApiUrl: string;
  /** The simulator's API token. */
  readonly voltToken: string;
  /** The PEM private key the simulator signs with and the local ingest trusts. */
  readonly signingKeyFile: string;
  /** The archive bucket (the `ArchiveBucketName` output); absent when the template has no archive. */
  readonly archiveBucket?: string;
  /** The key prefix of the archive's objects in that bucket (the `ArchivePrefix` output). */
  readonly archivePrefix?: string;
  /** The `VoltProbeSignature` output: what the simulator's registration test request looked like. */
  readonly voltProbeSignature?: string;
  /**
   * By subscriber name, the event types of each subscriber that takes only some (its
   * `Subscriber<Name>EventTypes` output, comma-separated); `replay --to <name>` sends only these.
   */
  readonly subscriberEventTypes?: Readonly<Record<string, string>>;
}

/** Where the local stack writes its file, relative to the project directory. */
export const LOCAL_STACK_FILE = path.join('.local', 'stack.json');

export interface VoltSimulatorAccess {
  readonly graphqlUrl: string;
  readonly token: string;
}

/**
 * The archive's bucket and prefix: the bucket the template marks with the archive role (else the
 * `ArchiveBucketName` output, for a bucket passed in), the prefix from the `ArchivePrefix` output.
 */
function archiveFields(
  stack: Partial<Pick<LocalStack, 'buckets' | 'outputs'>>,
): Pick<LocalStackFile, 'archiveBucket' | 'archivePrefix'> {
  const output = (id: string) => {
    const value = stack.outputs?.[id];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const bucket = archiveBucket({ buckets: stack.buckets ?? [] })?.name ?? output(STACK_OUTPUTS.archiveBucketName);
  if (bucket === undefined) return {};
  const prefix = output(STACK_OUTPUTS.archivePrefix);
  return { archiveBucket: bucket, ...(prefix !== undefined ? { archivePrefix: prefix } : {}) };
}

/** The `Subscriber<Name>EventTypes` outputs, by the name of the subscriber queue they describe. */
function subscriberEventTypesOf(
  stack: Pick<LocalStack, 'queues'> & Partial<Pick<LocalStack, 'outputs'>>,
): Pick<LocalStackFile, 'subscriberEventTypes'> {
  const found: Record<string, string> = {};
  for (const { key } of stack.queues) {
    const types = stack.outputs?.[subscriberEventTypesOutputId(key)];
    if (typeof types === 'string' && types !== '') found[key] = types;
  }
  return Object.keys(found).length > 0 ? { subscriberEventTypes: found } : {};
}

/** The file's content for a started stack and its simulator. */
export function localStackFileOf(
  stack: Pick<LocalStack, 'webhookUrl' | 'region' | 'endpoints' | 'queues' | 'tables'> &
    Partial<Pick<LocalStack, 'buckets' | 'outputs'>>,
  simulator: VoltSimulatorAccess,
  signingKeyFile: string,
): LocalStackFile {
  const table = messagesTable(stack);
  const probe = stack.outputs?.[STACK_OUTPUTS.voltProbeSignature];
  return {
    ...(stack.webhookUrl !== undefined ? { webhookUrl: stack.webhookUrl } : {}),
    region: stack.region,
    ...endpointFields(stack.endpoints),
    ...(table ? { tableName: table.name } : {}),
    queueUrls: Object.fromEntries(stack.queues.map((q) => [q.key, q.url])),
    voltApiUrl: simulator.graphqlUrl,
    voltToken: simulator.token,
    signingKeyFile,
    ...(typeof probe === 'string' ? { voltProbeSignature: probe } : {}),
    ...archiveFields(stack),
    ...subscriberEventTypesOf(stack),
  };
}

export function writeLocalStackFile(file: string, content: LocalStackFile): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
}

/** A local stack file that does not hold what its fields must. */
export class LocalStackFileError extends Error {
  override readonly name = 'LocalStackFileError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not a valid local stack file: ${problems.join('; ')}`);
  }
}

/** The fields holding a single string. */
type TextField = Exclude<keyof LocalStackFile, 'queueUrls' | 'subscriberEventTypes'>;

const URL_FIELDS: readonly TextField[] = [
  'webhookUrl',
  ...STANDIN_SERVICE_NAMES.map((service) => endpointField(service)),
  'voltApiUrl',
];
const PLAIN_FIELDS: readonly TextField[] = [
  'region',
  'tableName',
  'voltToken',
  'signingKeyFile',
  'archiveBucket',
  'archivePrefix',
  'voltProbeSignature',
];

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** `value` when it can be the field `name`; else `undefined`, and the problem added to `problems`. */
function textOf(name: string, value: unknown, url: boolean, problems: string[]): string | undefined {
  if (typeof value !== 'string' || value === '') {
    problems.push(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
    return undefined;
  }
  if (url && !isHttpUrl(value)) {
    problems.push(`${name} must be an http(s) URL, got "${value}"`);
    return undefined;
  }
  return value;
}

/** An object of non-empty strings (of URLs when `url`), named `field` in the problems. */
function textsOf(
  field: string,
  what: string,
  value: unknown,
  url: boolean,
  problems: string[],
): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${field} must be an object of ${what}, got ${JSON.stringify(value)}`);
    return undefined;
  }
  const texts: Record<string, string> = {};
  for (const [key, text] of Object.entries(value)) {
    const checked = textOf(`${field}.${key}`, text, url, problems);
    if (checked !== undefined) texts[key] = checked;
  }
  return texts;
}

/**
 * Checks a parsed local stack file and returns its fields, typed. Any field may be missing (a
 * file from an older version, or written by hand for a test); one that is present must hold
 * what it should. Every problem is reported at once, in a {@link LocalStackFileError}.
 */
export function parseLocalStackFile(value: unknown, source: string): Partial<LocalStackFile> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new LocalStackFileError(source, ['it does not hold a JSON object']);
  const fields = new Map(Object.entries(value));
  const problems: string[] = [];
  const result: { -readonly [K in keyof LocalStackFile]?: LocalStackFile[K] } = {};
  for (const [names, url] of [
    [URL_FIELDS, true],
    [PLAIN_FIELDS, false],
  ] as const) {
    for (const name of names) {
      if (!fields.has(name)) continue;
      const text = textOf(name, fields.get(name), url, problems);
      if (text !== undefined) result[name] = text;
    }
  }
  const queueUrls = fields.has('queueUrls')
    ? textsOf('queueUrls', 'queue URLs by role', fields.get('queueUrls'), true, problems)
    : undefined;
  if (queueUrls) result.queueUrls = queueUrls;
  const eventTypes = fields.has('subscriberEventTypes')
    ? textsOf(
        'subscriberEventTypes',
        'event type lists by subscriber',
        fields.get('subscriberEventTypes'),
        false,
        problems,
      )
    : undefined;
  if (eventTypes) result.subscriberEventTypes = eventTypes;
  if (problems.length > 0) throw new LocalStackFileError(source, problems);
  return result;
}
