import { ConfigurationError } from '../common/errors';
import { optionalEnv } from '../common/env';
import { KeyRing } from '../common/key-ring';
import { parsePublicKeyList } from '../common/keys';
import { REGISTRATION_WINDOW_ENV } from '../common/registration-window';
import { DEFAULT_SCHEME, parseScheme, type SignatureScheme } from '../common/signature';
import { DEFAULT_MAX_BODY_BYTES } from './ingest';
import { DEFAULT_QUARANTINE_PER_MINUTE, quarantinePerMinuteProblem } from './quarantine';
import { readTargets, type DeliveryTarget, type TargetKind } from './targets/target';

/**
 * Environment variable names, shared with the construct that sets them. Each kind of delivery
 * target names its own (`TARGET_QUEUES`: `targets/sqs.ts`).
 */
export const INGEST_ENV = {
  signatureScheme: 'SIGNATURE_SCHEME',
  publicKeys: 'VOLT_PUBLIC_KEYS',
  publicKeyUrl: 'VOLT_PUBLIC_KEY_URL',
  maxBodyBytes: 'MAX_BODY_BYTES',
  quarantineQueueUrl: 'QUARANTINE_QUEUE_URL',
  quarantinePerMinute: 'QUARANTINE_PER_MINUTE',
  registrationWindowTable: REGISTRATION_WINDOW_ENV,
} as const;

export interface IngestConfig {
  readonly targets: readonly DeliveryTarget[];
  readonly scheme: SignatureScheme;
  readonly keyRing: KeyRing;
  readonly maxBodyBytes: number;
  /** Where rejected requests are sampled to; never one of `targets`. Absent: no quarantine. */
  readonly quarantineQueueUrl?: string;
  readonly quarantinePerMinute: number;
  /** The registration window's table; absent when the stack does not register with Volt. */
  readonly registrationWindowTable?: string;
}

/**
 * Reads and validates the ingest function's configuration; called once, at cold start. `kinds`
 * are the kinds of delivery target the function can send to, each bound to its client.
 */
export function loadIngestConfig(kinds: readonly TargetKind[], env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const schemeName = optionalEnv(INGEST_ENV.signatureScheme, env);
  const pinnedText = optionalEnv(INGEST_ENV.publicKeys, env);
  const url = optionalEnv(INGEST_ENV.publicKeyUrl, env);
  const maxText = optionalEnv(INGEST_ENV.maxBodyBytes, env);
  const maxBodyBytes = maxText === undefined ? DEFAULT_MAX_BODY_BYTES : Number(maxText);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new ConfigurationError(`${INGEST_ENV.maxBodyBytes} must be a positive integer, got "${maxText}"`);
  }
  const targets = readTargets(kinds, env);
  const quarantineQueueUrl = optionalEnv(INGEST_ENV.quarantineQueueUrl, env);
  // Unverified bytes must never reach a consumer: refuse a quarantine that is also a target.
  const alsoTarget = targets.find((t) => t.address === quarantineQueueUrl);
  if (quarantineQueueUrl !== undefined && alsoTarget) {
    const kindEnv = kinds.find((k) => k.kind === alsoTarget.kind)?.env ?? alsoTarget.kind;
    throw new ConfigurationError(`${INGEST_ENV.quarantineQueueUrl} must not be one of ${kindEnv}`);
  }
  const perMinuteText = optionalEnv(INGEST_ENV.quarantinePerMinute, env);
  const quarantinePerMinute = perMinuteText === undefined ? DEFAULT_QUARANTINE_PER_MINUTE : Number(perMinuteText);
  const perMinuteProblem = quarantinePerMinuteProblem(quarantinePerMinute);
  if (perMinuteProblem !== undefined) {
    throw new ConfigurationError(`${INGEST_ENV.quarantinePerMinute} ${perMinuteProblem}`);
  }
  const registrationWindowTable = optionalEnv(INGEST_ENV.registrationWindowTable, env);
  return {
    targets,
    ...(registrationWindowTable !== undefined ? { registrationWindowTable } : {}),
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
