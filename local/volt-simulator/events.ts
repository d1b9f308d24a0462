import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Webhook event bodies shaped like the vendor's documented examples (test/fixtures/events/vendor):
 * the `messaging` envelope with an `rfw_...` id, a Telnyx-style payload and epoch-second `time`.
 */

/** Why a simulated outbound message fails, with the fields a failed `message.finalized` carries. */
export interface FailureReason {
  readonly errorCode: string;
  readonly providerErrorCode: string;
  readonly providerErrorTitle: string;
  readonly providerErrorDetail: string;
  readonly carrierName: string;
}

/**
 * Recipients that make a message fail, one per failure reason the vendor mentions (spam block,
 * opt-out, timeout). The spam block is the vendor's own example; the other codes follow the
 * Telnyx error catalogue Volt appears to build on, and Volt's `error_code` values for them are invented.
 */
export const FAILING_RECIPIENTS: Readonly<Record<string, FailureReason>> = {
  '+15555550666': {
    errorCode: '702',
    providerErrorCode: '40002',
    providerErrorTitle: 'Blocked as spam - temporary',
    providerErrorDetail:
      'The message was flagged by a SPAM filter and was not delivered. This is a temporary condition.',
    carrierName: 'T-MOBILE USA, INC.',
  },
  '+15555550667': {
    errorCode: '703',
    providerErrorCode: '40300',
    providerErrorTitle: 'Blocked due to STOP message',
    providerErrorDetail: 'The recipient has opted out of messages from this number by replying STOP.',
    carrierName: 'VERIZON WIRELESS',
  },
  '+15555550668': {
    errorCode: '704',
    providerErrorCode: '40005',
    providerErrorTitle: 'Message expired during transmission',
    providerErrorDetail: 'The carrier did not confirm delivery before the message expired.',
    carrierName: 'AT&T WIRELESS',
  },
};

/** A message the simulator knows about, outbound (from `createMessage`) or inbound (from a handset). */
export interface SimMessage {
  /** `rf_...` for outbound; inbound messages have none (their webhooks carry `id: null`). */
  readonly id: string | null;
  readonly messageAppId: string;
  readonly direction: 'outbound' | 'inbound';
  readonly to: string;
  readonly from: string;
  readonly body: string;
  readonly media: readonly string[];
  status: 'queued' | 'sent' | 'delivered' | 'failed' | 'webhook_delivered';
  statusDescription: string | null;
  readonly createdAt: number;
  sentAt: number | null;
  completedAt: number | null;
  readonly failure: FailureReason | undefined;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A Volt message id: `rf_` and 20 base-62 characters, like `rf_o6aDxhawR227gt5wgZ2I`. */
export function newMessageId(): string {
  const bytes = randomBytes(20);
  let id = 'rf_';
  // 248 = 4 * 62: bytes at or above it are skipped so every character is equally likely.
  for (const b of bytes) if (b < 248) id += ID_ALPHABET[b % 62];
  while (id.length < 23) id += ID_ALPHABET[(randomBytes(1)[0] ?? 0) % 62];
  return id;
}

/** A webhook event id, `rfw_<8 hex>_<32 hex>` like the vendor's; the first part is fixed per organization. */
export function newEventId(orgPrefix: string): string {
  return `rfw_${orgPrefix}_${randomBytes(16).toString('hex')}`;
}

export function newOrgPrefix(): string {
  return randomBytes(4).toString('hex');
}

export function newMessageAppId(): string {
  return randomUUID();
}

/** Volt writes timestamps with milliseconds and `+00:00`, not `Z`. */
export function voltTime(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString().replace('Z', '+00:00');
}

// The GSM 03.38 basic character set (and its extension table) fits in 7-bit parts; anything else goes as UCS-2.
const GSM_7 = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€',
);

/** The encoding and number of SMS parts a body takes, as the payload's `encoding` and `parts` report them. */
export function smsParts(body: string): { encoding: 'GSM-7' | 'UCS-2'; parts: number } {
  const chars = [...body];
  if (chars.every((c) => GSM_7.has(c))) {
    return { encoding: 'GSM-7', parts: chars.length <= 160 ? 1 : Math.ceil(chars.length / 153) };
  }
  const units = body.length; // UTF-16 code units
  return { encoding: 'UCS-2', parts: units <= 70 ? 1 : Math.ceil(units / 67) };
}

export type SimEventType = 'message.sent' | 'message.finalized' | 'message.received';

/** Builds one webhook body. `occurredAt` is the event's own time, independent of when it is delivered. */
export function buildEvent(options: {
  readonly eventId: string;
  readonly eventType: SimEventType;
  readonly message: SimMessage;
  readonly occurredAt: number;
  readonly messagingProfileId: string;
}): Record<string, unknown> {
  const { message, eventType, occurredAt } = options;
  const { encoding, parts } = smsParts(message.body);
  const outbound = message.direction === 'outbound';
  const finalized = eventType === 'message.finalized';
  const failed = finalized && message.failure !== undefined;
  const status =
    eventType === 'message.received'
      ? 'webhook_delivered'
      : eventType === 'message.sent'
        ? 'sent'
        : failed
          ? 'failed'
          : 'delivered';
  const failure =
    failed && message.failure
      ? {
          provider_error_code: message.failure.providerErrorCode,
          provider_error_detail: message.failure.providerErrorDetail,
          provider_error_title: message.failure.providerErrorTitle,
          carrier_name: message.failure.carrierName,
          error_code: message.failure.errorCode,
        }
      : {};
  const payload: Record<string, unknown> = {
    message_app_id: message.messageAppId,
    id: message.id,
    to_number: message.to,
    from_number: message.from,
    valid_until: outbound ? voltTime(message.createdAt + 60 * 60 * 1000) : null,
    type: message.media.length > 0 ? 'MMS' : 'SMS',
    text: message.body,
    sent_at: outbound ? voltTime(message.sentAt) : null,
    received_at: outbound ? voltTime(message.createdAt) : voltTime(occurredAt),
    ...failure,
    status,
    parts,
    messaging_profile_id: options.messagingProfileId,
    media: message.media.map((url) => ({ url, content_type: null, size: null, hash_sha256: null })),
    encoding,
    direction: message.direction,
    completed_at: finalized ? voltTime(occurredAt) : null,
    occurred_at: voltTime(occurredAt),
    event_type: eventType,
  };
  return { type: 'messaging', id: options.eventId, payload, time: Math.floor(occurredAt / 1000) };
}

/**
 * The body of the test request sent to a URL being registered. What Volt really sends is not
 * documented; this is a valid, signed envelope so that a receiver which verifies signatures
 * and needs an envelope `id` (like this project's ingest) answers 2xx.
 */
export function buildTestEvent(eventId: string, url: string, occurredAt: number): Record<string, unknown> {
  return {
    type: 'messaging',
    id: eventId,
    payload: { id: null, message_app_id: null, event_type: 'webhook.test', url, occurred_at: voltTime(occurredAt) },
    time: Math.floor(occurredAt / 1000),
  };
}
