import { InvalidEventError } from './errors';

/**
 * The event types Volt sends (`payload.event_type`), as its documentation lists them. Other
 * values are kept (in history, on the queues) but nothing is built around them.
 */
export const EVENT_TYPES = ['message.received', 'message.sent', 'message.finalized'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Longest id we accept: far above Volt's ids, far below DynamoDB's 2 KiB key limit. */
export const MAX_ID_LENGTH = 256;

/** A Volt webhook envelope, as far as this project relies on it. Unknown fields are kept in `payload`. */
export interface WebhookEnvelope {
  /** The webhook event id (`rfw_...`); a retry of one event carries the same id. */
  readonly id: string;
  readonly type?: unknown;
  readonly time?: unknown;
  /** The event's payload; an empty object when the envelope has none or it is not an object. */
  readonly payload: Readonly<Record<string, unknown>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Parses a raw webhook body. Throws {@link InvalidEventError} unless it is a JSON object with a
 * non-empty string `id`. Nothing else is required: unknown or null fields are tolerated.
 */
export function parseEnvelope(raw: string): WebhookEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidEventError('body is not valid JSON');
  }
  if (!isPlainObject(parsed)) {
    throw new InvalidEventError('body is not a JSON object');
  }
  const { id } = parsed;
  if (!nonEmptyString(id)) {
    throw new InvalidEventError('envelope has no string "id"');
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new InvalidEventError(`envelope "id" is longer than ${MAX_ID_LENGTH} characters`);
  }
  const payload = isPlainObject(parsed.payload) ? parsed.payload : {};
  const messageIdCandidate = [payload.id, payload.message_app_id].find(nonEmptyString);
  if (messageIdCandidate !== undefined && messageIdCandidate.length > MAX_ID_LENGTH) {
    throw new InvalidEventError(`payload id is longer than ${MAX_ID_LENGTH} characters`);
  }
  return { id, type: parsed.type, time: parsed.time, payload };
}

/**
 * The message id rule: `payload.id` when it is a non-empty string, else `payload.message_app_id`,
 * else the envelope `id`. Inbound messages have `payload.id: null`, so they key on `message_app_id`.
 */
export function messageIdOf(envelope: WebhookEnvelope): string {
  const { payload } = envelope;
  if (nonEmptyString(payload.id)) return payload.id;
  if (nonEmptyString(payload.message_app_id)) return payload.message_app_id;
  return envelope.id;
}

/** The event type (`payload.event_type`), or `unknown` when it is absent or not a string. */
export function eventTypeOf(envelope: WebhookEnvelope): string {
  const value = envelope.payload.event_type;
  return nonEmptyString(value) ? value : 'unknown';
}
