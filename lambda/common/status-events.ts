/**
 * The message status events this project puts on EventBridge: their detail-types, their
 * `detail`, and the JSON Schema of the whole event. Shared by the publisher that builds them
 * (`lambda/publisher/`), the construct that registers the schema and checks rule patterns
 * (`lib/constructs/message-events.ts`) and the package's users, who import the types. A contract:
 * change it only on purpose, and bump `schemaVersion` when a change could break a reader.
 * No AWS client here.
 */

/** The `source` of every event unless configured otherwise. */
export const DEFAULT_EVENT_SOURCE = 'volt-sms-webhooks';

/** `detail.schemaVersion` of the events this version emits. */
export const STATUS_EVENT_SCHEMA_VERSION = 1;

/**
 * The detail-types, one per kind of change: what a message became. `Message Failed` covers every
 * failure status (`failed`, `delivery_failed`, `sending_failed`, `expired`); `detail.status` has
 * the exact one. `Message Status Changed` is any status this version does not name.
 */
export const STATUS_DETAIL_TYPES = [
  'Message Received',
  'Message Queued',
  'Message Sending',
  'Message Sent',
  'Message Delivered',
  'Message Failed',
  'Message Delivery Unconfirmed',
  'Message Status Changed',
] as const;

export type StatusDetailType = (typeof STATUS_DETAIL_TYPES)[number];

/**
 * Statuses that make a `Message Failed`: the same set the messages table's failed index holds
 * (`FAILURE_STATUSES` in `lambda/consumer/state-rules.ts`, checked equal by a test).
 */
const FAILED_STATUSES: ReadonlySet<string> = new Set(['failed', 'delivery_failed', 'sending_failed', 'expired']);

const BY_STATUS: Readonly<Record<string, StatusDetailType>> = {
  queued: 'Message Queued',
  sending: 'Message Sending',
  sent: 'Message Sent',
  delivered: 'Message Delivered',
  delivery_unconfirmed: 'Message Delivery Unconfirmed',
};

/**
 * The detail-type of a change to `status` by an event of `eventType`. An inbound message is
 * `Message Received` whatever its status (Volt sends `webhook_delivered`).
 */
export function detailTypeOf(eventType: string, status: string): StatusDetailType {
  if (eventType === 'message.received') return 'Message Received';
  if (FAILED_STATUSES.has(status)) return 'Message Failed';
  return Object.hasOwn(BY_STATUS, status) ? (BY_STATUS[status] as StatusDetailType) : 'Message Status Changed';
}

/**
 * The `detail` of a status event: the message's state after the change, and the webhook event
 * that caused it. Fields Volt did not send are absent, never null or empty.
 */
export interface MessageStatusEventDetail {
  /** Version of this shape; a change that could break a reader increments it. */
  readonly schemaVersion: typeof STATUS_EVENT_SCHEMA_VERSION;
  /** The message id (docs/message-state.md's rule: `payload.id`, else `payload.message_app_id`, else the envelope id). */
  readonly messageId: string;
  /**
   * The envelope id of the webhook event that made this state. One event makes at most one
   * change, so it identifies the change: dedupe on it (delivery to targets is at least once).
   */
  readonly webhookId: string;
  /** Volt's status after the change, lower-cased (`sent`, `delivered`, `failed`, `webhook_delivered`...). */
  readonly status: string;
  /** The status before it; absent for a message's first status. */
  readonly previousStatus?: string;
  /** The `event_type` of the webhook event (`message.received`, `message.sent`, `message.finalized`). */
  readonly eventType: string;
  /** `outbound` or `inbound`. */
  readonly direction?: string;
  /** E.164, as Volt sent it. */
  readonly fromNumber?: string;
  /** E.164, as Volt sent it. */
  readonly toNumber?: string;
  /** When the change happened at Volt (ISO 8601 UTC with milliseconds); the receive time when Volt gave none. */
  readonly occurredAt: string;
  /** `payload.message_app_id`. */
  readonly messageAppId?: string;
  /** `SMS` or `MMS`. */
  readonly messageType?: string;
  /** Failure details, present only when the new state carries them (as text, even when Volt sent a number). */
  readonly errorCode?: string;
  readonly providerErrorCode?: string;
  readonly providerErrorTitle?: string;
  readonly providerErrorDetail?: string;
  readonly carrierName?: string;
}

/** A whole status event as a rule's target receives it (EventBridge's envelope around the detail). */
export interface MessageStatusEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': StatusDetailType;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: MessageStatusEventDetail;
}

/** The optional text fields of the detail, in the order they are written. */
export const OPTIONAL_DETAIL_FIELDS = [
  'previousStatus',
  'direction',
  'fromNumber',
  'toNumber',
  'messageAppId',
  'messageType',
  'errorCode',
  'providerErrorCode',
  'providerErrorTitle',
  'providerErrorDetail',
  'carrierName',
] as const satisfies readonly (keyof MessageStatusEventDetail)[];

/** A JSON Schema (draft-04) node, as far as this schema uses the keywords. */
export interface JsonSchemaNode {
  readonly type?: string;
  readonly description?: string;
  readonly enum?: readonly (string | number)[];
  readonly format?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly items?: JsonSchemaNode;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
}

const text = (description: string, maxLength = 1024): JsonSchemaNode => ({
  type: 'string',
  minLength: 1,
  maxLength,
  description,
});

/** Every detail field, typed against the interface: a field added to one and not the other fails to compile. */
const DETAIL_PROPERTIES: { readonly [K in keyof MessageStatusEventDetail]-?: JsonSchemaNode } = {
  schemaVersion: { type: 'integer', enum: [STATUS_EVENT_SCHEMA_VERSION], description: 'Version of this shape' },
  messageId: text('The message id', 768),
  webhookId: text('Envelope id of the webhook event that made this state: the dedupe key', 768),
  status: text("Volt's status after the change, lower-cased", 128),
  previousStatus: text("The status before the change; absent for a message's first status", 128),
  eventType: text('event_type of the webhook event', 128),
  direction: text('outbound or inbound', 128),
  fromNumber: text('E.164, as Volt sent it'),
  toNumber: text('E.164, as Volt sent it'),
  occurredAt: {
    type: 'string',
    format: 'date-time',
    pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$',
    description: 'When the change happened at Volt, ISO 8601 UTC with milliseconds',
  },
  messageAppId: text('payload.message_app_id'),
  messageType: text('SMS or MMS', 128),
  errorCode: text('Failure detail'),
  providerErrorCode: text('Failure detail'),
  providerErrorTitle: text('Failure detail'),
  providerErrorDetail: text('Failure detail'),
  carrierName: text('Failure detail'),
};

/** The detail fields every event has. */
const REQUIRED_DETAIL_FIELDS = [
  'schemaVersion',
  'messageId',
  'webhookId',
  'status',
  'eventType',
  'occurredAt',
] as const satisfies readonly (keyof MessageStatusEventDetail)[];

/**
 * The JSON Schema (draft-04, the dialect EventBridge's schema registry takes as
 * `JSONSchemaDraft4`) of a whole status event. `schemas/message-status-event.json` in the
 * repository is this object, written by `npm run docs:schema` and checked equal by a test.
 */
export const STATUS_EVENT_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'MessageStatusEvent',
  description:
    "A Volt SMS message's status changed: the state after the change and the webhook event that caused it (volt-sms-webhooks)",
  type: 'object',
  required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
  properties: {
    version: { type: 'string' },
    id: { type: 'string' },
    'detail-type': { type: 'string', enum: [...STATUS_DETAIL_TYPES] },
    source: { type: 'string', description: `The configured event source, ${DEFAULT_EVENT_SOURCE} by default` },
    account: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    region: { type: 'string' },
    resources: { type: 'array', items: { type: 'string' } },
    detail: {
      type: 'object',
      required: [...REQUIRED_DETAIL_FIELDS],
      additionalProperties: false,
      properties: DETAIL_PROPERTIES,
    },
  },
} as const;

/** The detail field names, for checking rule patterns against them. */
export const DETAIL_FIELD_NAMES: readonly string[] = Object.keys(DETAIL_PROPERTIES);

/** The top-level fields of an EventBridge event, for checking rule patterns against them. */
export const EVENT_FIELD_NAMES: readonly string[] = Object.keys(STATUS_EVENT_SCHEMA.properties);
