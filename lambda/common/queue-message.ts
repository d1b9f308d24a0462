import { InvalidEventError } from './errors';

/**
 * The queue-message contract (README, "Subscribing"), in one place for everything that writes or
 * reads it: the ingest, the consumer, and whatever archives or replays deliveries.
 *
 * SQS takes only the characters of XML 1.0 in a message body and in a String attribute value:
 * #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. Anything else is refused with
 * `InvalidMessageContents`, and a refused send would answer Volt 503 on every retry. Valid JSON
 * can hold such characters: a raw U+FFFE or U+FFFF in a string, or, once parsed, an escaped
 * control character or lone surrogate. So:
 * - a body SQS would refuse is sent base64-encoded, flagged by the `bodyEncoding` attribute, and
 *   its bytes (the signed bytes) come back with {@link queueMessageBytes};
 * - an attribute value has every character outside the set replaced by U+FFFD
 *   ({@link toSqsText}), the same cleaning the consumer applies to the ids it keys on.
 */

/** The String attributes every target queue's message carries beside the body. */
export interface QueueMessageAttributes {
  readonly webhookId: string;
  readonly eventType: string;
  readonly messageId: string;
  readonly receivedAt: string;
  readonly signature: string;
}

/** The attribute present only on a message whose body is encoded; its value names the encoding. */
export const BODY_ENCODING_ATTRIBUTE = 'bodyEncoding';

/**
 * The attribute `volt-webhooks replay` puts on every message it sends, valued with the replay's
 * id; the ingest never sets it. The consumer does not forward a message that carries it to the
 * archive, where its delivery is already kept (docs/archive.md).
 */
export const REPLAYED_ATTRIBUTE = 'replayed';

/** The one body encoding: standard base64 of the raw body bytes. */
export const BASE64_BODY_ENCODING = 'base64';

/** A body as SQS will take it, with its encoding when it is not the raw text. */
export interface QueueBody {
  readonly body: string;
  /** Absent for the common case: the body is the raw webhook body itself. */
  readonly encoding?: typeof BASE64_BODY_ENCODING;
}

// C0 controls other than tab, LF and CR, and the two BMP noncharacters SQS refuses. Lone
// surrogates are the rest of what falls outside the set; `isWellFormed` finds those. (A `u`-flag
// class covering all of it measured 5-10x slower on a 1 KB body.)
// eslint-disable-next-line no-control-regex -- the control characters are what SQS refuses
const CONTROL_OR_FFFE_FFFF = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_OR_FFFE_FFFF_ALL = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/g;

/** True when SQS accepts every character of `value` in a body or a String attribute. */
export function isSqsText(value: string): boolean {
  return !CONTROL_OR_FFFE_FFFF.test(value) && value.isWellFormed();
}

/**
 * `value` with each character SQS refuses replaced by U+FFFD: lone surrogates (as
 * `toWellFormed` does), C0 controls other than tab, LF and CR, U+FFFE and U+FFFF. Values SQS
 * accepts come back unchanged. Used for every attribute value and for the ids the consumer
 * stores, so that the two always agree.
 */
export function toSqsText(value: string): string {
  if (isSqsText(value)) return value;
  return value.toWellFormed().replace(CONTROL_OR_FFFE_FFFF_ALL, '\uFFFD');
}

function base64Body(text: string): QueueBody {
  return { body: Buffer.from(text, 'utf8').toString('base64'), encoding: BASE64_BODY_ENCODING };
}

/** Any text as a queue body: itself when SQS accepts it, else its UTF-8 bytes in base64. */
export function queueBody(text: string): QueueBody {
  return isSqsText(text) ? { body: text } : base64Body(text);
}

/**
 * {@link queueBody} for a webhook body the ingest has parsed: JSON text that `JSON.parse`
 * accepted, as a well-formed string. JSON allows no raw control character (outside strings only
 * tab, LF, CR and space; inside, controls must be escaped), and a well-formed string holds no
 * lone surrogate, so only a raw U+FFFE or U+FFFF can fall outside SQS's set. Two `indexOf`
 * scans find those in about 0.1 µs per KB, where the full check takes a few µs.
 */
export function queueBodyOfJson(json: string): QueueBody {
  return json.indexOf('\uFFFE') === -1 && json.indexOf('\uFFFF') === -1 ? { body: json } : base64Body(json);
}

/**
 * The raw webhook bytes of a received queue message, the bytes the `signature` attribute signs:
 * base64-decoded when `bodyEncoding` is `base64`, else the body's UTF-8 bytes. Throws
 * {@link InvalidEventError} for an encoding it does not know.
 */
export function queueMessageBytes(body: string, encoding: string | undefined): Buffer {
  if (encoding === undefined) return Buffer.from(body, 'utf8');
  if (encoding === BASE64_BODY_ENCODING) return Buffer.from(body, 'base64');
  throw new InvalidEventError(`unknown ${BODY_ENCODING_ATTRIBUTE} "${encoding}"`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The raw webhook body of a received queue message as text, ready to parse: the body itself, or
 * its decoded bytes when it is encoded. Throws {@link InvalidEventError} for an unknown encoding
 * or encoded bytes that are not UTF-8 (the ingest never queues such a body).
 */
export function decodeQueueBody(body: string, encoding: string | undefined): string {
  if (encoding === undefined) return body;
  try {
    return utf8.decode(queueMessageBytes(body, encoding));
  } catch (err: unknown) {
    if (err instanceof InvalidEventError) throw err;
    throw new InvalidEventError(`${BODY_ENCODING_ATTRIBUTE} ${encoding} body is not valid UTF-8`);
  }
}
