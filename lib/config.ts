import { closest } from './closest';
import { LOG_LEVELS, type LogLevel } from './constructs/volt-function';
import type { EventRuleConfig } from './constructs/message-events';
import {
  VoltWebhookPipeline,
  type PublicKeyConfig,
  type SubscriberConfig,
  type VoltWebhookPipelineProps,
} from './constructs/volt-webhook-pipeline';
import { describeProblem, shown } from './validation';

/** Every CDK context key the app reads. Any other key that is not CDK's own fails the synth. */
export const CONTEXT_KEYS = [
  'voltApiTokenSecret',
  'voltApiUrl',
  'voltPublicKeyUrl',
  'allowHttpKeyUrl',
  'voltPublicKeys',
  'signatureScheme',
  'subscribers',
  'alarmEmail',
  'messageRetentionDays',
  'maxBodyBytes',
  'throttleRateLimit',
  'throttleBurstLimit',
  'quarantinePerMinute',
  'silenceAlarmHours',
  'logLevel',
  'eventRules',
  'eventSource',
  'eventBus',
  'eventArchiveRetentionDays',
  'archive',
  'archiveBucket',
  'archivePrefix',
  'archiveRetentionDays',
  'archiveObjectLockDays',
  'archiveObjectLockMode',
  'archiveBatchWindowSeconds',
  'stackName',
  // Read by bin/app.ts only: run cdk-nag's AwsSolutions checks during synth.
  'nag',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** The fields a `subscribers` entry may have. */
const SUBSCRIBER_FIELDS = [
  'name',
  'eventTypes',
  'allowUnknownEventTypes',
] as const satisfies readonly (keyof SubscriberConfig)[];

/** The fields an `eventRules` entry may have. */
const EVENT_RULE_FIELDS = ['name', 'pattern'] as const satisfies readonly (keyof EventRuleConfig)[];

/** The app's typed configuration: the pipeline's props plus what only the app uses. */
export interface AppConfig extends VoltWebhookPipelineProps {
  readonly stackName: string;
  /** Run cdk-nag's AwsSolutions checks while synthesizing. @default false */
  readonly nag?: boolean;
}

/** Configuration that would deploy something other than what was meant: one line per mistake. */
export class ContextError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ContextError';
  }
}

/**
 * Context keys that belong to CDK or to other libraries, never to this app: feature flags
 * (`@aws-cdk/...`), the CLI's own (`aws:cdk:...`, `aws-cdk:...`, `cli-telemetry`,
 * `acknowledged-issue-numbers`, `cdk-...`) and the lookup cache (`availability-zones:account=...`).
 */
export function isCdkContextKey(key: string): boolean {
  return (
    key.startsWith('@') ||
    key.includes(':') ||
    key.startsWith('cdk-') ||
    key === 'cli-telemetry' ||
    key === 'acknowledged-issue-numbers'
  );
}

function unknownKey(key: string, known: readonly string[], where: string): string {
  const guess = closest(key, known);
  return guess !== undefined
    ? `${where}: unknown key; did you mean "${guess}"?`
    : `${where}: unknown key; the known keys are ${known.join(', ')}`;
}

/** Reads one key's value into its type, or records why it cannot. `undefined`: not given. */
type Reader<T> = (key: string, value: unknown, problems: string[]) => T | undefined;

function absent(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

const text: Reader<string> = (key, value, problems) => {
  if (absent(value)) return undefined;
  if (typeof value === 'string') return value.trim();
  problems.push(`context "${key}" must be a string, got ${shown(value)}`);
  return undefined;
};

/** `-c key=true` arrives as a string, cdk.json gives a boolean. */
function booleanOf(value: unknown): boolean | undefined {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  return undefined;
}

const flag: Reader<boolean> = (key, value, problems) => {
  if (absent(value)) return undefined;
  const b = booleanOf(value);
  if (b === undefined) problems.push(`context "${key}" must be true or false, got ${shown(value)}`);
  return b;
};

/** A number read from a string or a JSON number; `what` says which numbers the key's type holds. */
function numberOf(what: string, accepts: (n: number) => boolean): Reader<number> {
  return (key, value, problems) => {
    if (absent(value)) return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (Number.isFinite(n) && accepts(n)) return n;
    problems.push(`context "${key}" must be ${what}, got ${shown(value)}`);
    return undefined;
  };
}

/** Counts: their ranges are the constructs' to check. */
const count = numberOf('a positive whole number', (n) => Number.isInteger(n) && n > 0);
const countFromZero = numberOf('a whole number, 0 or more', (n) => Number.isInteger(n) && n >= 0);
const anyNumber = numberOf('a number', () => true);

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function jsonArray(key: string, value: unknown, problems: string[], example: string): unknown[] | undefined {
  if (absent(value)) return undefined;
  let parsed = value;
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      problems.push(`context "${key}" looks like JSON but does not parse: ${value.trim().slice(0, 80)}`);
      return undefined;
    }
  }
  if (Array.isArray(parsed)) return parsed as unknown[];
  problems.push(`context "${key}" must be a JSON array like ${example}, got ${shown(value)}`);
  return undefined;
}

const logLevel: Reader<LogLevel> = (key, value, problems) => {
  const given = text(key, value, problems);
  if (given === undefined) return undefined;
  const upper = given.toUpperCase();
  if ((LOG_LEVELS as readonly string[]).includes(upper)) return upper as LogLevel;
  problems.push(`context "${key}" must be one of ${LOG_LEVELS.join(', ')}, got ${shown(value)}`);
  return undefined;
};

const subscribers: Reader<SubscriberConfig[]> = (key, value, problems) => {
  const list = jsonArray(key, value, problems, '[{"name":"crm","eventTypes":["message.received"]}]');
  if (list === undefined) return undefined;
  const result: SubscriberConfig[] = [];
  for (const [i, entry] of list.entries()) {
    const where = `${key}[${i}]`;
    const s = entry as Record<string, unknown> | null;
    if (!s || typeof s !== 'object' || Array.isArray(s) || typeof s['name'] !== 'string') {
      problems.push(`context "${key}": ${where} needs a string "name", got ${shown(entry)}`);
      continue;
    }
    for (const field of Object.keys(s).filter((f) => !(SUBSCRIBER_FIELDS as readonly string[]).includes(f))) {
      problems.push(unknownKey(field, SUBSCRIBER_FIELDS, `context "${key}": ${where}.${field}`));
    }
    const { eventTypes, allowUnknownEventTypes } = s;
    if (eventTypes !== undefined && !Array.isArray(eventTypes)) {
      problems.push(`context "${key}": ${where}.eventTypes must be an array, got ${shown(eventTypes)}`);
      continue;
    }
    const allowUnknown = booleanOf(allowUnknownEventTypes);
    if (allowUnknownEventTypes !== undefined && allowUnknown === undefined) {
      problems.push(
        `context "${key}": ${where}.allowUnknownEventTypes must be true or false, got ${shown(allowUnknownEventTypes)}`,
      );
    }
    result.push({
      name: s['name'],
      ...(eventTypes !== undefined ? { eventTypes: eventTypes as string[] } : {}),
      ...(allowUnknown !== undefined ? { allowUnknownEventTypes: allowUnknown } : {}),
    });
  }
  return result;
};

const eventRules: Reader<EventRuleConfig[]> = (key, value, problems) => {
  const list = jsonArray(key, value, problems, '[{"name":"failures","pattern":{"detail":{"status":["failed"]}}}]');
  if (list === undefined) return undefined;
  const result: EventRuleConfig[] = [];
  for (const [i, entry] of list.entries()) {
    const where = `${key}[${i}]`;
    const r = entry as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || Array.isArray(r) || typeof r['name'] !== 'string') {
      problems.push(`context "${key}": ${where} needs a string "name", got ${shown(entry)}`);
      continue;
    }
    for (const field of Object.keys(r).filter((f) => !(EVENT_RULE_FIELDS as readonly string[]).includes(f))) {
      problems.push(unknownKey(field, EVENT_RULE_FIELDS, `context "${key}": ${where}.${field}`));
    }
    const pattern = r['pattern'];
    if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
      problems.push(
        `context "${key}": ${where}.pattern must be an EventBridge event pattern (a JSON object), got ${shown(pattern)}`,
      );
      continue;
    }
    result.push({ name: r['name'], pattern: pattern as Record<string, unknown> });
  }
  return result;
};

const publicKeys: Reader<PublicKeyConfig[]> = (key, value, problems) =>
  jsonArray(key, value, problems, '["ssh-rsa AAAA..."] (ssh-rsa lines, PEM blocks or JWK objects)') as
    PublicKeyConfig[] | undefined;

// CloudFormation's rule for stack names.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const stackName: Reader<string> = (key, value, problems) => {
  const name = text(key, value, problems);
  if (name === undefined || STACK_NAME.test(name)) return name;
  problems.push(`context "${key}" must be 1-128 letters, digits or "-", starting with a letter, got ${shown(value)}`);
  return undefined;
};

const READERS: { readonly [K in ContextKey]: Reader<unknown> } = {
  voltApiTokenSecret: text,
  voltApiUrl: text,
  voltPublicKeyUrl: text,
  allowHttpKeyUrl: flag,
  voltPublicKeys: publicKeys,
  signatureScheme: text,
  subscribers,
  alarmEmail: text,
  messageRetentionDays: count,
  maxBodyBytes: count,
  // Requests per second may be fractional; the burst is a count.
  throttleRateLimit: anyNumber,
  throttleBurstLimit: count,
  quarantinePerMinute: countFromZero,
  silenceAlarmHours: countFromZero,
  logLevel,
  eventRules,
  eventSource: text,
  eventBus: text,
  eventArchiveRetentionDays: countFromZero,
  archive: flag,
  archiveBucket: text,
  archivePrefix: text,
  archiveRetentionDays: count,
  archiveObjectLockDays: count,
  // Its values are the archive's to check (`DeliveryArchive.checkProps`).
  archiveObjectLockMode: text,
  archiveBatchWindowSeconds: count,
  stackName,
  nag: flag,
};

/**
 * Reads the CDK context into typed configuration and checks all of it before anything is built:
 * here only that each value has its type (strings from `-c` become numbers, booleans, JSON), then
 * the pipeline's own rules (`VoltWebhookPipeline.checkProps`), where each range is defined. With
 * `presentKeys` (every key in the context), a key the app does not read fails too, with the
 * closest known key. Throws one `ContextError` listing every problem. `get` is `node.tryGetContext`.
 */
export function readAppConfig(get: (key: string) => unknown, presentKeys: readonly string[] = []): AppConfig {
  const problems: string[] = [];
  for (const key of presentKeys) {
    if (!isCdkContextKey(key) && !(CONTEXT_KEYS as readonly string[]).includes(key)) {
      problems.push(unknownKey(key, CONTEXT_KEYS, `context "${key}"`));
    }
  }
  const values: Record<string, unknown> = {};
  for (const key of CONTEXT_KEYS) {
    const value = READERS[key](key, get(key), problems);
    if (value !== undefined) values[key] = value;
  }
  const { stackName: name, nag, ...pipeline } = values as Partial<AppConfig>;
  for (const problem of VoltWebhookPipeline.checkProps(pipeline)) problems.push(describeProblem(problem));
  if (problems.length > 0) throw new ContextError(problems);
  return { stackName: name ?? 'VoltSmsWebhooks', ...(nag !== undefined ? { nag } : {}), ...pipeline };
}
