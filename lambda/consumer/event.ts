import { eventTypeOf, messageIdOf, parseEnvelope } from '../common/envelope';
import { toSqsText } from '../common/queue-message';
import { cutToUnits, cutToUtf8Bytes, wellFormedWithin } from './utf8';

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
  /** Message id rule (docs/architecture.md): `payload.id`, else `payload.message_app_id`, else the envelope id. */
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

/**
 * UTF-8 byte caps of the strings an event writes to its item. DynamoDB refuses an item over
 * 400 KB, and a refused write would send every later event of the message to the DLQ; with these
 * caps no sequence of events can reach it (the bound is worked out in docs/message-state.md,
 * "Size bounds", and checked by test/unit/lambda/consumer/consumer.odd-data.test.ts).
 */
export const MAX_BYTES = {
  /** `event_type` and `status`, repeated in every history entry; Volt's are under 20 bytes. */
  short: 128,
  /** Numbers, the app id, failure details, a media item's content type and hash. */
  field: 1024,
  /** A media URL: presigned URLs run past 1 KB. */
  url: 2048,
} as const;

/**
 * Message text is kept whole up to this many UTF-16 code units (at most three times as many
 * UTF-8 bytes): far above any concatenated SMS, bounded below the ingest body limit.
 */
export const MAX_TEXT_UNITS = 16 * 1024;

/** More attachments than any MMS carries. */
export const MAX_MEDIA_ITEMS = 20;

/**
 * How far an event's time may run ahead of the time the webhook was received. Volt stamps an
 * event before it sends it, so a later time is clock skew at best; anything beyond is clamped,
 * so that a far-future time (year 9999) cannot outrank every later event of its message.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A non-empty string field, trimmed, lone surrogates replaced (DynamoDB and SQS take valid
 * Unicode only) and cut to `maxBytes`; numbers are accepted as their decimal text (error codes
 * arrive as either).
 */
function text(value: unknown, maxBytes: number = MAX_BYTES.field): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : wellFormedWithin(trimmed, maxBytes);
}

/** A short lower-cased word (status, direction): lower-casing may grow a string, so the cut comes after it. */
function word(value: unknown): string | undefined {
  const given = text(value, Infinity);
  return given === undefined ? undefined : wellFormedWithin(given.toLowerCase(), MAX_BYTES.short);
}

/** The message body is kept as sent (no trimming: whitespace may be content), only bounded. */
function bodyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? cutToUnits(value, MAX_TEXT_UNITS) : undefined;
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

/** A full date and time with a UTC offset, as RFC 3339 profiles ISO 8601; fractions of any length. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/i;

/**
 * Parses an ISO 8601 instant strictly, as epoch milliseconds: a calendar date that exists, a time
 * of day, and a zone (`Z` or `+hh:mm`); fractions beyond milliseconds are truncated. Anything
 * else, including a date alone, a time without a zone and what `Date.parse` would guess at
 * (`"5"`, `"2026-02-30T00:00:00Z"`), is `undefined`.
 */
export function parseIsoInstant(value: string): number | undefined {
  const m = ISO_INSTANT.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Date.UTC maps years 0-99 to 1900-1999; earlier years are refused anyway (MIN_TIME_MS).
  if (year < 1970 || month < 1 || month > 12 || day < 1) return undefined;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const [offsetHours, offsetMins] = [Number(m[9]), Number(m[10])];
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/** Epoch seconds, as a JSON number or a string of digits. */
function epochSecondsOf(time: unknown): number | undefined {
  if (typeof time === 'number') return time;
  if (typeof time !== 'string') return undefined;
  const trimmed = time.trim();
  return /^\d+(?:\.\d+)?$/.test(trimmed) ? Number(trimmed) : undefined;
}

/**
 * `payload.occurred_at` (strict ISO 8601), else the envelope `time` (epoch seconds), else nothing;
 * no later than `receivedAt` plus {@link MAX_CLOCK_SKEW_MS} when the receive time is known.
 */
function occurredAtOf(
  payload: Readonly<Record<string, unknown>>,
  time: unknown,
  receivedAt: Date | undefined,
): string | undefined {
  const fromPayload =
    typeof payload.occurred_at === 'string' ? normalizeInstant(parseIsoInstant(payload.occurred_at) ?? NaN) : undefined;
  const seconds = epochSecondsOf(time);
  const instant = fromPayload ?? (seconds === undefined ? undefined : normalizeInstant(seconds * 1000));
  if (instant === undefined || receivedAt === undefined) return instant;
  const latest = receivedAt.getTime() + MAX_CLOCK_SKEW_MS;
  return Date.parse(instant) > latest ? (normalizeInstant(latest) ?? instant) : instant;
}

function directionOf(payload: Readonly<Record<string, unknown>>, eventType: string): string | undefined {
  const given = word(payload.direction);
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
      const url = text(m.url, MAX_BYTES.url);
      const contentType = text(m.content_type, MAX_BYTES.short);
      const size = nonNegativeInt(m.size);
      const sha256 = text(m.sha256, MAX_BYTES.short) ?? text(m.hash_sha256, MAX_BYTES.short);
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
 * Event times are taken as given: see {@link parseReceivedEvent} for the consumer's clamp.
 */
export function parseMessageEvent(raw: string): MessageEvent {
  return parseEvent(raw, undefined);
}

/**
 * {@link parseMessageEvent} for a webhook received at `receivedAt`: an event time later than
 * `receivedAt` plus {@link MAX_CLOCK_SKEW_MS} is clamped to that.
 */
export function parseReceivedEvent(raw: string, receivedAt: Date): MessageEvent {
  return parseEvent(raw, receivedAt);
}

function parseEvent(raw: string, receivedAt: Date | undefined): MessageEvent {
  const envelope = parseEnvelope(raw);
  const { payload } = envelope;
  // The ids and the event type are cleaned as the ingest cleans its message attributes, so the
  // item and the queue message agree: characters SQS refuses (lone surrogates, C0 controls but
  // tab, LF and CR, U+FFFE, U+FFFF) become U+FFFD.
  const eventType = cutToUtf8Bytes(toSqsText(eventTypeOf(envelope)), MAX_BYTES.short);
  return defined({
    // Ids are never cut: the envelope bounds their length.
    webhookId: toSqsText(envelope.id),
    messageId: toSqsText(messageIdOf(envelope)),
    eventType,
    status: word(payload.status),
    occurredAt: occurredAtOf(payload, envelope.time, receivedAt),
    direction: directionOf(payload, eventType),
    fromNumber: text(payload.from_number),
    toNumber: text(payload.to_number),
    messageAppId: text(payload.message_app_id),
    messageType: text(payload.type, MAX_BYTES.short),
    text: bodyText(payload.text),
    parts: nonNegativeInt(payload.parts),
    encoding: text(payload.encoding, MAX_BYTES.short),
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
