import { ConfigurationError } from '../common/errors';
import { optionalEnv, requireJsonEnv } from '../common/env';
import { KeyRing } from '../common/key-ring';
import { parsePublicKeyList } from '../common/keys';
import { DEFAULT_SCHEME, parseScheme, type SignatureScheme } from '../common/signature';
import { DEFAULT_MAX_BODY_BYTES, type TargetQueue } from './ingest';
import { DEFAULT_QUARANTINE_PER_MINUTE } from './quarantine';

/** Environment variable names, shared with the construct that sets them. */
export const INGEST_ENV = {
  targetQueues: 'TARGET_QUEUES',
  signatureScheme: 'SIGNATURE_SCHEME',
  publicKeys: 'VOLT_PUBLIC_KEYS',
  publicKeyUrl: 'VOLT_PUBLIC_KEY_URL',
  maxBodyBytes: 'MAX_BODY_BYTES',
  quarantineQueueUrl: 'QUARANTINE_QUEUE_URL',
  quarantinePerMinute: 'QUARANTINE_PER_MINUTE',
} as const;

export interface IngestConfig {
  readonly targets: readonly TargetQueue[];
  readonly scheme: SignatureScheme;
  readonly keyRing: KeyRing;
  readonly maxBodyBytes: number;
  /** Where rejected requests are sampled to; never one of `targets`. Absent: no quarantine. */
  readonly quarantineQueueUrl?: string;
  readonly quarantinePerMinute: number;
}

function parseTargets(value: unknown): TargetQueue[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(`${INGEST_ENV.targetQueues} must be a non-empty JSON array`);
  }
  return value.map((entry: unknown, i) => {
    const t = entry as Partial<TargetQueue> | null;
    if (!t || typeof t.name !== 'string' || typeof t.queueUrl !== 'string' || t.queueUrl === '') {
      throw new ConfigurationError(`${INGEST_ENV.targetQueues}[${i}] needs a string "name" and "queueUrl"`);
    }
    if (
      t.eventTypes !== undefined &&
      (!Array.isArray(t.eventTypes) || !t.eventTypes.every((e) => typeof e === 'string'))
    ) {
      throw new ConfigurationError(`${INGEST_ENV.targetQueues}[${i}].eventTypes must be an array of strings`);
    }
    return { name: t.name, queueUrl: t.queueUrl, ...(t.eventTypes ? { eventTypes: t.eventTypes } : {}) };
  });
}

/** Reads and validates the ingest function's configuration; called once, at cold start. */
export function loadIngestConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const schemeName = optionalEnv(INGEST_ENV.signatureScheme, env);
  const pinnedText = optionalEnv(INGEST_ENV.publicKeys, env);
  const url = optionalEnv(INGEST_ENV.publicKeyUrl, env);
  const maxText = optionalEnv(INGEST_ENV.maxBodyBytes, env);
  const maxBodyBytes = maxText === undefined ? DEFAULT_MAX_BODY_BYTES : Number(maxText);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ConfigurationError(`${INGEST_ENV.maxBodyBytes} must be a positive integer, got "${maxText}"`);
  }
  const targets = parseTargets(requireJsonEnv<unknown>(INGEST_ENV.targetQueues, env));
  const quarantineQueueUrl = optionalEnv(INGEST_ENV.quarantineQueueUrl, env);
  // Unverified bytes must never reach a consumer: refuse a quarantine that is also a target.
  if (quarantineQueueUrl !== undefined && targets.some((t) => t.queueUrl === quarantineQueueUrl)) {
    throw new ConfigurationError(`${INGEST_ENV.quarantineQueueUrl} must not be one of ${INGEST_ENV.targetQueues}`);
  }
  const perMinuteText = optionalEnv(INGEST_ENV.quarantinePerMinute, env);
  const quarantinePerMinute = perMinuteText === undefined ? DEFAULT_QUARANTINE_PER_MINUTE : Number(perMinuteText);
  if (!Number.isInteger(quarantinePerMinute) || quarantinePerMinute < 0) {
    throw new ConfigurationError(
      `${INGEST_ENV.quarantinePerMinute} must be a non-negative integer, got "${perMinuteText}"`,
    );
  }
  return {
    targets,
    ...(quarantineQueueUrl !== undefined ? { quarantineQueueUrl } : {}),
    quarantinePerMinute,
    scheme: schemeName ? parseScheme(schemeName) : DEFAULT_SCHEME,
    keyRing: new KeyRing({
      ...(pinnedText ? { pinned: parsePublicKeyList(pinnedText, INGEST_ENV.publicKeys) } : {}),
      ...(url ? { url } : {}),
    }),
    maxBodyBytes,
  };
}
