import { eventTypeOf, messageIdOf, parseEnvelope } from '../common/envelope';

/** One MMS attachment, as far as the table keeps it. */
export interface MediaItem {
  readonly url?: string;
  readonly contentType?: string;
  readonly size?: number;
  readonly sha256?: string;
}

/** Failure details of a failed delivery; every field is optional because any may be missing. */
export interface FailureDetails {
  readonly errorCode?: string;
  readonly providerErrorCode?: string;
  readonly providerErrorTitle?: string;
  readonly providerErrorDetail?: string;
  readonly carrierName?: string;
}

/** The failure detail fields, in the order they are written. */
export const FAILURE_FIELDS = [
  'errorCode',
  'providerErrorCode',
  'providerErrorTitle',
  'providerErrorDetail',
  'carrierName',
] as const;

/**
 * One webhook event, reduced to what the table keeps. Every field but the ids and the event
 * type is optional: Volt's payloads may carry nulls, miss fields or change types.
 */
export interface MessageEvent {
  /** Envelope `id`: the webhook event id, the same on every retry of one event. */
  readonly webhookId: string;
  /** By the DESIGN.md rule: `payload.id`, else `payload.message_app_id`, else the envelope id. */
  readonly messageId: string;
  /** `payload.event_type`, or `unknown`. */
  readonly eventType: string;
  readonly status?: string;
  /** When the event happened, as a normalized ISO 8601 UTC string (sorts as text). */
  readonly occurredAt?: string;
  readonly direction?: string;
  readonly fromNumber?: string;
  readonly toNumber?: string;
  readonly messageAppId?: string;
  /** `payload.type`: `SMS` or `MMS`. */
  readonly messageType?: string;
  readonly text?: string;
  readonly parts?: number;
  readonly encoding?: string;
  readonly media?: readonly MediaItem[];
  readonly failure: FailureDetails;
}

/** Longest string field kept; far above any real value, it keeps a misbehaving sender from bloating items. */
const MAX_FIELD_LENGTH = 2048;
/** Message text may be long (concatenated SMS): bounded by the ingest body limit, kept whole up to this. */
const MAX_TEXT_LENGTH = 16 * 1024;
/** More attachments than any MMS carries. */
const MAX_MEDIA_ITEMS = 20;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string field, trimmed; numbers are accepted as their decimal text (error codes arrive as either). */
function text(value: unknown, max = MAX_FIELD_LENGTH): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, max);
}

/** The message body is kept as sent (no trimming: whitespace may be content), only bounded. */
function bodyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value.slice(0, MAX_TEXT_LENGTH) : undefined;
}

function nonNegativeInt(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 1_000_000 ? n : undefined;
}

/** Earliest and latest instants kept: both serialize to the fixed-width `YYYY-MM-DDTHH:mm:ss.sssZ` form. */
const MIN_TIME_MS = Date.UTC(1970, 0, 1);
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Normalizes an instant to ISO 8601 UTC with milliseconds, so that text order is time order. */
export function normalizeInstant(ms: number): string | undefined {
  return Number.isFinite(ms) && ms >= MIN_TIME_MS && ms <= MAX_TIME_MS ? new Date(ms).toISOString() : undefined;
}

/** `payload.occurred_at` (ISO 8601), else the envelope `time` (epoch seconds), else nothing. */
function occurredAtOf(payload: Readonly<Record<string, unknown>>, time: unknown): string | undefined {
  if (typeof payload.occurred_at === 'string') {
    const parsed = normalizeInstant(Date.parse(payload.occurred_at));
    if (parsed) return parsed;
  }
  const seconds = typeof time === 'string' && time.trim() !== '' ? Number(time) : time;
  return typeof seconds === 'number' ? normalizeInstant(seconds * 1000) : undefined;
}

function directionOf(payload: Readonly<Record<string, unknown>>, eventType: string): string | undefined {
  const given = text(payload.direction)?.toLowerCase();
  if (given) return given;
  // A payload without `direction` still says it through its event type.
  if (eventType === 'message.received') return 'inbound';
  if (eventType === 'message.sent' || eventType === 'message.finalized') return 'outbound';
  return undefined;
}

function mediaOf(value: unknown): MediaItem[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter(isObject)
    .slice(0, MAX_MEDIA_ITEMS)
    .map((m) => {
      const item: { url?: string; contentType?: string; size?: number; sha256?: string } = {};
      const url = text(m.url);
      const contentType = text(m.content_type);
      const size = nonNegativeInt(m.size);
      const sha256 = text(m.sha256) ?? text(m.hash_sha256);
      if (url) item.url = url;
      if (contentType) item.contentType = contentType;
      if (size !== undefined) item.size = size;
      if (sha256) item.sha256 = sha256;
      return item;
    });
}

/** Drops the keys whose value is `undefined`, so callers can test presence with `in` and `Object.keys`. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Parses a raw webhook body (the state queue's message body) into a {@link MessageEvent}.
 * Throws `InvalidEventError` only when the body is not a JSON object with an envelope `id`;
 * any payload field that is missing, null or of the wrong type is simply left out.
 */
export function parseMessageEvent(raw: string): MessageEvent {
  const envelope = parseEnvelope(raw);
  const { payload } = envelope;
  const eventType = eventTypeOf(envelope);
  return defined({
    webhookId: envelope.id,
    messageId: messageIdOf(envelope),
    eventType,
    status: text(payload.status)?.toLowerCase(),
    occurredAt: occurredAtOf(payload, envelope.time),
    direction: directionOf(payload, eventType),
    fromNumber: text(payload.from_number),
    toNumber: text(payload.to_number),
    messageAppId: text(payload.message_app_id),
    messageType: text(payload.type),
    text: bodyText(payload.text),
    parts: nonNegativeInt(payload.parts),
    encoding: text(payload.encoding),
    media: mediaOf(payload.media),
    failure: defined({
      errorCode: text(payload.error_code),
      providerErrorCode: text(payload.provider_error_code),
      providerErrorTitle: text(payload.provider_error_title),
      providerErrorDetail: text(payload.provider_error_detail),
      carrierName: text(payload.carrier_name),
    }),
  });
}

/** The other party of a message: the recipient of an outbound message, the sender of an inbound one. */
export function contactNumberOf(
  event: Pick<MessageEvent, 'direction' | 'fromNumber' | 'toNumber'>,
): string | undefined {
  if (event.direction === 'outbound') return event.toNumber;
  if (event.direction === 'inbound') return event.fromNumber;
  return undefined;
}
