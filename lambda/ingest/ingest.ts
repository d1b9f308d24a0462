import type { KeyObject } from 'node:crypto';
import { eventTypeOf, messageIdOf, parseEnvelope, type WebhookEnvelope } from '../common/envelope';
import {
  InvalidEventError,
  KeysUnavailableError,
  PayloadTooLargeError,
  SignatureRejectedError,
} from '../common/errors';
import type { KeyRing } from '../common/key-ring';
import type { QueueMessageAttributes } from '../common/queue-message';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER } from '../common/registration-window';
import { SIGNATURE_HEADER, verifySignature, type SignatureScheme } from '../common/signature';
import type { DeliveryTarget } from './targets/target';

/** Default body limit: generous for SMS/MMS events (a few KiB), far under SQS's message size limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Seconds Volt is asked to wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** The message attributes every target receives with the raw body (the queue-message contract). */
export type { QueueMessageAttributes } from '../common/queue-message';

/** The parts of an API Gateway HTTP API (payload v2) request the ingest path reads. */
export interface IngestRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface IngestResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What happened to one request, for logs and metrics. */
export type IngestOutcome =
  | {
      readonly kind: 'enqueued';
      readonly webhookId: string;
      readonly messageId: string;
      readonly eventType: string;
      /** The targets the event was delivered to, by name. */
      readonly targets: readonly string[];
    }
  | {
      readonly kind: 'rejected';
      readonly reason: string;
      readonly statusCode: number;
      readonly detail: string;
      readonly webhookId?: string;
    }
  | {
      /**
       * Inside the registration window: Volt's test request, answered 2xx and delivered nowhere.
       * `result` is `verified` or the reason verification failed (`signature_missing`, ...).
       */
      readonly kind: 'probe';
      readonly result: string;
      readonly detail: string;
      readonly webhookId?: string;
    }
  | {
      /** One of our own checks (readiness, `doctor`): answered 401 like any unsigned request. */
      readonly kind: 'self_check';
      readonly statusCode: 401;
    }
  | {
      readonly kind: 'failed';
      readonly reason: string;
      readonly detail: string;
      readonly webhookId?: string;
      /** The targets that did not accept the event, by name. */
      readonly failedTargets?: readonly string[];
    };

export interface IngestorOptions {
  readonly keyRing: KeyRing;
  readonly scheme: SignatureScheme;
  /** Every target, of any kind; each event goes to those whose `eventTypes` match. */
  readonly targets: readonly DeliveryTarget[];
  /** @default DEFAULT_MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  readonly now?: () => Date;
  /**
   * Whether the registration window is open; asked only for a request that failed verification
   * or a verified one that names no message, never on the path of a message event.
   * @default no window: every such request is answered as outside it
   */
  readonly probeWindowOpen?: () => Promise<boolean>;
}

function respond(
  statusCode: number,
  body: Record<string, unknown>,
  extraHeaders?: Record<string, string>,
): IngestResponse {
  const headers = extraHeaders
    ? { 'content-type': 'application/json', ...extraHeaders }
    : { 'content-type': 'application/json' };
  return { statusCode, headers, body: JSON.stringify(body) };
}

export const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * JSON is UTF-8 (RFC 8259). Decoding leniently would queue U+FFFD in place of the signed bytes,
 * and subscribers could no longer re-verify the body, so invalid UTF-8 is refused instead.
 */
function decodeUtf8(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new InvalidEventError('body is not valid UTF-8');
  }
}

/** A header by its lowercase name, in any case: API Gateway lowercases names, other proxies may not. */
export function headerValue(headers: IngestRequest['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const key in headers) if (key.length === name.length && key.toLowerCase() === name) return headers[key];
  return undefined;
}

/** Our own check: the marker header, no signature and the fixed body; anything more is not ours. */
function isSelfCheck(request: IngestRequest, body: Buffer, signature: string | undefined): boolean {
  return (
    signature === undefined &&
    headerValue(request.headers, SELF_CHECK_HEADER) !== undefined &&
    body.toString('latin1') === SELF_CHECK_BODY
  );
}

/** A message event always names its message; Volt's test request (as far as is known) does not. */
function namesNoMessage(envelope: WebhookEnvelope): boolean {
  return messageIdOf(envelope) === envelope.id;
}

/**
 * The ingest path with no AWS client inside: size limit, signature over the raw bytes,
 * envelope check, then one delivery per matching target. It answers 2xx only after every
 * target accepted the event, so Volt retries anything that was not durably queued.
 */
export class WebhookIngestor {
  private readonly maxBodyBytes: number;
  private readonly now: () => Date;

  constructor(private readonly options: IngestorOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.now = options.now ?? (() => new Date());
  }

  async handle(request: IngestRequest): Promise<{ response: IngestResponse; outcome: IngestOutcome }> {
    const rejected = (statusCode: number, reason: string, detail: string, webhookId?: string) => ({
      response: respond(statusCode, { error: detail }),
      outcome: { kind: 'rejected' as const, reason, statusCode, detail, ...(webhookId ? { webhookId } : {}) },
    });

    let body: Buffer;
    try {
      body = this.readBody(request);
    } catch (err: unknown) {
      if (err instanceof PayloadTooLargeError) return rejected(413, 'too_large', err.message);
      throw err;
    }

    const signature = headerValue(request.headers, SIGNATURE_HEADER);
    const probe = async (result: string, detail: string, webhookId?: string) =>
      this.options.probeWindowOpen && (await this.options.probeWindowOpen())
        ? {
            // A 2xx is all Volt's test needs; the body says nothing was accepted.
            response: respond(200, { accepted: false, probe: true }),
            outcome: { kind: 'probe' as const, result, detail, ...(webhookId ? { webhookId } : {}) },
          }
        : undefined;
    try {
      await this.verify(body, signature);
    } catch (err: unknown) {
      if (err instanceof SignatureRejectedError) {
        if (isSelfCheck(request, body, signature)) {
          return {
            response: respond(401, { error: err.message }),
            outcome: { kind: 'self_check' as const, statusCode: 401 as const },
          };
        }
        const reason = `signature_${err.reason}`;
        return (await probe(reason, err.message)) ?? rejected(401, reason, err.message);
      }
      if (err instanceof KeysUnavailableError) {
        return {
          response: respond(
            503,
            { error: 'signature keys unavailable, retry later' },
            { 'retry-after': String(RETRY_AFTER_SECONDS) },
          ),
          outcome: { kind: 'failed', reason: 'keys_unavailable', detail: err.message },
        };
      }
      throw err;
    }

    // Only a verified body is parsed.
    let envelope: WebhookEnvelope;
    let raw: string;
    try {
      // Text that API Gateway passed as a string is already what the bytes decode to, unless it
      // holds a lone surrogate (which Buffer.from turned into U+FFFD): decode only then.
      raw = request.isBase64Encoded || !(request.body ?? '').isWellFormed() ? decodeUtf8(body) : (request.body ?? '');
      envelope = parseEnvelope(raw);
    } catch (err: unknown) {
      if (err instanceof InvalidEventError)
        return (await probe('verified', err.message)) ?? rejected(400, 'invalid_event', err.message);
      throw err;
    }
    if (namesNoMessage(envelope)) {
      const asProbe = await probe('verified', 'signed test request', envelope.id);
      if (asProbe) return asProbe;
    }

    const eventType = eventTypeOf(envelope);
    const attributes: QueueMessageAttributes = {
      webhookId: envelope.id,
      eventType,
      messageId: messageIdOf(envelope),
      receivedAt: this.now().toISOString(),
      signature: (signature ?? '').trim(),
    };
    const targets = this.options.targets.filter((t) => !t.eventTypes || t.eventTypes.includes(eventType));
    const results = await Promise.allSettled(targets.map((t) => t.deliver(raw, attributes)));
    const failedTargets = targets.filter((_, i) => results[i]?.status === 'rejected').map((t) => t.name);
    if (failedTargets.length > 0) {
      const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
      return {
        response: respond(
          503,
          { error: 'could not enqueue the event, retry later' },
          { 'retry-after': String(RETRY_AFTER_SECONDS) },
        ),
        outcome: {
          kind: 'failed',
          reason: 'enqueue_failed',
          detail: firstError instanceof Error ? `${firstError.name}: ${firstError.message}` : String(firstError),
          webhookId: envelope.id,
          failedTargets,
        },
      };
    }
    const delivered = targets.map((t) => t.name);
    return {
      // `queues` names every target delivered to, of any kind: the field dates from when every
      // target was a queue, and Volt and scripts may read it, so it keeps its name.
      response: respond(200, { accepted: true, webhookId: envelope.id, queues: delivered }),
      outcome: {
        kind: 'enqueued',
        webhookId: envelope.id,
        messageId: attributes.messageId,
        eventType,
        targets: delivered,
      },
    };
  }

  private readBody(request: IngestRequest): Buffer {
    const text = request.body ?? '';
    // Cheap bound before decoding anything: base64 carries 3 bytes per 4 characters, UTF-8 at least 1 per character.
    const lowerBound = request.isBase64Encoded ? Math.floor((text.length * 3) / 4) - 2 : text.length;
    const declared = Number(headerValue(request.headers, 'content-length'));
    if (lowerBound > this.maxBodyBytes || (Number.isFinite(declared) && declared > this.maxBodyBytes)) {
      throw new PayloadTooLargeError(`body exceeds the ${this.maxBodyBytes}-byte limit`);
    }
    const body = request.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
    if (body.length > this.maxBodyBytes)
      throw new PayloadTooLargeError(`body exceeds the ${this.maxBodyBytes}-byte limit`);
    return body;
  }

  private async verify(body: Buffer, signature: string | undefined): Promise<void> {
    const keys: readonly KeyObject[] = await this.options.keyRing.current();
    try {
      verifySignature(body, signature, keys, this.options.scheme);
    } catch (err: unknown) {
      // A mismatch may mean Volt rotated its key: refetch (rate-limited) and try once more.
      if (!(err instanceof SignatureRejectedError) || err.reason !== 'mismatch') throw err;
      const refreshed = await this.options.keyRing.refreshAfterFailure();
      if (!refreshed) throw err;
      verifySignature(body, signature, refreshed, this.options.scheme);
    }
  }
}
