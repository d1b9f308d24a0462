import {
  LOG_LEVELS,
  type LogLevel,
  type PublicKeyConfig,
  type SubscriberConfig,
  type VoltWebhookPipelineProps,
} from './constructs/volt-webhook-pipeline';

/** Every CDK context key the app reads. Unknown `volt*`-looking keys are reported as likely typos. */
export const CONTEXT_KEYS = [
  'voltApiTokenSecret',
  'voltApiUrl',
  'voltPublicKeyUrl',
  'voltPublicKeys',
  'signatureScheme',
  'subscribers',
  'alarmEmail',
  'messageRetentionDays',
  'maxBodyBytes',
  'throttleRateLimit',
  'throttleBurstLimit',
  'quarantinePerMinute',
  'logLevel',
  'stackName',
  // Read by bin/app.ts only: run cdk-nag's AwsSolutions checks during synth.
  'nag',
] as const;

export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** The app's typed configuration: the pipeline's props plus what only the stack uses. */
export interface AppConfig extends VoltWebhookPipelineProps {
  readonly stackName: string;
  readonly voltApiTokenSecret?: string;
  readonly voltApiUrl?: string;
  readonly alarmEmail?: string;
  readonly messageRetentionDays?: number;
}

export class ContextError extends Error {}

/** Context values arrive as strings from `-c key=value` and as JSON values from cdk.json. */
function jsonValue(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (!text.startsWith('[') && !text.startsWith('{')) return value;
  try {
    return JSON.parse(text);
  } catch {
    throw new ContextError(`context "${key}" looks like JSON but does not parse: ${text.slice(0, 80)}`);
  }
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ContextError(`context "${key}" must be a string`);
  return value.trim();
}

function optionalPositiveInt(key: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new ContextError(`context "${key}" must be a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}

function subscribersFrom(value: unknown): SubscriberConfig[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = jsonValue('subscribers', value);
  if (!Array.isArray(list))
    throw new ContextError(
      'context "subscribers" must be a JSON array like [{"name":"crm","eventTypes":["message.received"]}]',
    );
  return list.map((entry: unknown, i) => {
    const s = entry as { name?: unknown; eventTypes?: unknown } | null;
    if (!s || typeof s.name !== 'string') throw new ContextError(`subscribers[${i}] needs a string "name"`);
    if (s.eventTypes !== undefined && !Array.isArray(s.eventTypes))
      throw new ContextError(`subscribers[${i}].eventTypes must be an array`);
    return { name: s.name, ...(s.eventTypes ? { eventTypes: s.eventTypes as string[] } : {}) };
  });
}

function publicKeysFrom(value: unknown): PublicKeyConfig[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const list = jsonValue('voltPublicKeys', value);
  if (!Array.isArray(list))
    throw new ContextError('context "voltPublicKeys" must be a JSON array of ssh-rsa lines, PEM blocks or JWK objects');
  return list as PublicKeyConfig[];
}

function optionalWholeNumber(key: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new ContextError(`context "${key}" must be a whole number, 0 or more, got ${JSON.stringify(value)}`);
  return n;
}

function logLevelFrom(value: unknown): LogLevel | undefined {
  const text = optionalString('logLevel', value)?.toUpperCase();
  if (text === undefined) return undefined;
  if (!(LOG_LEVELS as readonly string[]).includes(text))
    throw new ContextError(`context "logLevel" must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  return text as LogLevel;
}

function optionalPositiveNumber(key: string, value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ContextError(`context "${key}" must be a number above 0, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Reads the CDK context into typed, validated configuration. `get` is `node.tryGetContext`.
 * Deeper checks (key parsing, scheme names) happen in the constructs, also at synth time.
 */
export function readAppConfig(get: (key: string) => unknown): AppConfig {
  const retention = optionalPositiveInt('messageRetentionDays', get('messageRetentionDays'));
  const alarmEmail = optionalString('alarmEmail', get('alarmEmail'));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new ContextError(`context "alarmEmail" is not an email address: ${alarmEmail}`);
  }
  const apiUrl = optionalString('voltApiUrl', get('voltApiUrl'));
  if (apiUrl !== undefined && !/^https?:\/\//.test(apiUrl))
    throw new ContextError(`context "voltApiUrl" must be an http(s) URL, got ${apiUrl}`);
  const optional = {
    voltApiTokenSecret: optionalString('voltApiTokenSecret', get('voltApiTokenSecret')),
    voltApiUrl: apiUrl,
    voltPublicKeyUrl: optionalString('voltPublicKeyUrl', get('voltPublicKeyUrl')),
    voltPublicKeys: publicKeysFrom(get('voltPublicKeys')),
    signatureScheme: optionalString('signatureScheme', get('signatureScheme')),
    subscribers: subscribersFrom(get('subscribers')),
    alarmEmail,
    messageRetentionDays: retention,
    maxBodyBytes: optionalPositiveInt('maxBodyBytes', get('maxBodyBytes')),
    // Requests per second may be fractional; the burst is a count.
    throttleRateLimit: optionalPositiveNumber('throttleRateLimit', get('throttleRateLimit')),
    throttleBurstLimit: optionalPositiveInt('throttleBurstLimit', get('throttleBurstLimit')),
    quarantinePerMinute: optionalWholeNumber('quarantinePerMinute', get('quarantinePerMinute')),
    logLevel: logLevelFrom(get('logLevel')),
  };
  const defined = Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined));
  return { stackName: optionalString('stackName', get('stackName')) ?? 'VoltSmsWebhooks', ...defined };
}
