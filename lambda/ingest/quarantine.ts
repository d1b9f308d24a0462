import { parseProbeOutcome, type ProbeOutcome } from '../common/registration-window';

/**
 * Quarantine of requests that failed verification: a sampled, bounded copy of each rejected
 * request, kept so an operator can inspect it and run `volt-webhooks calibrate --from-quarantine`.
 * Pure: no AWS client here; the handler sends what {@link quarantineRecord} builds.
 */

/** Default cap on quarantined requests per function instance and minute. */
export const DEFAULT_QUARANTINE_PER_MINUTE = 10;

/** Highest cap: beyond it the quarantine stops being a sample and costs like a second queue of every request. */
export const MAX_QUARANTINE_PER_MINUTE = 10_000;

/**
 * What is wrong with a per-minute cap, or `undefined` when it is fine: one rule for the construct
 * that configures it (at synth) and the function that reads it (at cold start).
 */
export function quarantinePerMinuteProblem(value: number): string | undefined {
  return Number.isInteger(value) && value >= 0 && value <= MAX_QUARANTINE_PER_MINUTE
    ? undefined
    : `must be a whole number from 0 to ${MAX_QUARANTINE_PER_MINUTE} (0 keeps none), got ${String(value)}`;
}

/**
 * Largest body kept, in bytes. The record carries the body in base64 (4/3 larger) plus a few
 * hundred bytes of metadata, and must stay under SQS's 256 KiB message limit.
 */
export const MAX_QUARANTINED_BODY_BYTES = 180 * 1024;

/** Longest signature header kept: a real one is a few hundred characters; an attacker's may be anything. */
const MAX_SIGNATURE_CHARS = 4096;

/**
 * A token bucket: at most `perMinute` takes per minute on average, with bursts of up to
 * `perMinute`. Under attack it keeps a sample and drops the rest, so the quarantine stays cheap.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isFinite(perMinute) || perMinute < 0)
      throw new RangeError(`perMinute must be a non-negative number, got ${perMinute}`);
    this.tokens = perMinute;
    this.last = now();
  }

  /** True when a token was available (and is now spent). */
  tryTake(): boolean {
    const t = this.now();
    // A clock that goes backwards refills nothing rather than draining the bucket.
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.perMinute, this.tokens + (elapsed * this.perMinute) / 60_000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One quarantined request, as the quarantine queue's message body holds it (JSON). */
export interface QuarantineRecord {
  /** Format version, for the CLI that reads it. */
  readonly v: 1;
  /** The rejection reason (e.g. `signature_mismatch`, `invalid_event`). */
  readonly reason: string;
  readonly statusCode: number;
  readonly receivedAt: string;
  /** The signature header as received (bounded); absent when the request had none. */
  readonly signature?: string;
  /** The request body's bytes, base64, so calibration sees exactly what was received. */
  readonly bodyBase64: string;
  /** The body's full length before truncation. */
  readonly bodyBytes: number;
  readonly truncated: boolean;
  /** Present on Volt's registration probe: what its signature was. */
  readonly probe?: ProbeOutcome;
}

export interface QuarantineInput {
  readonly reason: string;
  readonly statusCode: number;
  readonly body: Buffer;
  readonly signature?: string;
  readonly receivedAt: Date;
  /** @default MAX_QUARANTINED_BODY_BYTES */
  readonly maxBodyBytes?: number;
  readonly probe?: ProbeOutcome;
}

/** Builds the quarantine message body for one rejected request. */
export function quarantineRecord(input: QuarantineInput): QuarantineRecord {
  const limit = Math.min(input.maxBodyBytes ?? MAX_QUARANTINED_BODY_BYTES, MAX_QUARANTINED_BODY_BYTES);
  const kept = input.body.subarray(0, limit);
  return {
    v: 1,
    reason: input.reason,
    statusCode: input.statusCode,
    receivedAt: input.receivedAt.toISOString(),
    ...(input.signature !== undefined && input.signature !== ''
      ? { signature: input.signature.slice(0, MAX_SIGNATURE_CHARS) }
      : {}),
    bodyBase64: kept.toString('base64'),
    bodyBytes: input.body.length,
    truncated: kept.length < input.body.length,
    ...(input.probe !== undefined ? { probe: input.probe } : {}),
  };
}

/**
 * The record as the quarantine message's body: JSON that SQS accepts whatever the request held.
 * `JSON.stringify` escapes control characters and lone surrogates already but writes U+FFFE and
 * U+FFFF raw, which SQS refuses (an attacker's signature header may hold them); as `\uFFFE`
 * escapes they parse back to the same record.
 */
export function quarantineMessageBody(record: QuarantineRecord): string {
  return JSON.stringify(record).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/** Parses a quarantine message body; throws a plain Error naming what is wrong. */
export function parseQuarantineRecord(text: string): QuarantineRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const r = parsed as Partial<QuarantineRecord> | null;
  if (!r || typeof r !== 'object' || r.v !== 1 || typeof r.bodyBase64 !== 'string' || typeof r.reason !== 'string') {
    throw new Error('not a quarantine record (v1)');
  }
  return {
    v: 1,
    reason: r.reason,
    statusCode: typeof r.statusCode === 'number' ? r.statusCode : 0,
    receivedAt: typeof r.receivedAt === 'string' ? r.receivedAt : '',
    ...(typeof r.signature === 'string' ? { signature: r.signature } : {}),
    bodyBase64: r.bodyBase64,
    bodyBytes: typeof r.bodyBytes === 'number' ? r.bodyBytes : 0,
    truncated: r.truncated === true,
    ...(r.probe !== undefined ? probeField(r.probe) : {}),
  };
}

function probeField(value: unknown): { probe?: ProbeOutcome } {
  const probe = parseProbeOutcome(JSON.stringify(value));
  return probe !== undefined ? { probe } : {};
}
