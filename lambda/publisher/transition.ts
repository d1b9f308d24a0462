import {
  detailTypeOf,
  OPTIONAL_DETAIL_FIELDS,
  STATUS_EVENT_SCHEMA_VERSION,
  type MessageStatusEventDetail,
  type StatusDetailType,
} from '../common/status-events';

/**
 * Which writes of the messages table are status changes, read from its stream (new and old
 * images), and the event each one makes. No AWS client here.
 *
 * A write is a change when it moved the state (`stateKey` differs: the consumer's state write or
 * state-only write won, see docs/message-state.md) and the status with it. So a duplicate (no
 * write at all), a stale or unknown event (a history write: `stateKey` unchanged) and a state
 * that wins with the status it already had (a second `sent`, a later copy of `delivered`) emit
 * nothing: each status a message reaches is told once. A state without a status emits nothing
 * either; the next state with one does. Each stream record is one write, so a change is one
 * record, whatever retries happened before the write.
 */

/** A DynamoDB attribute value as a stream image holds it (`{ S: "..." }`, ...). */
type ImageValue = Readonly<Record<string, unknown>>;
/** A stream image: the item in DynamoDB JSON. */
export type StreamImage = Readonly<Record<string, ImageValue | undefined>>;

/** The part of a DynamoDB stream record this module reads (structurally the Lambda event's record). */
export interface ChangeRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly NewImage?: StreamImage;
    readonly OldImage?: StreamImage;
  };
}

/** A status change, ready to put on the bus. */
export interface StatusChange {
  readonly detailType: StatusDetailType;
  readonly detail: MessageStatusEventDetail;
}

/** A string attribute's value; absent, empty or of another type is `undefined`. */
function stringOf(image: StreamImage | undefined, name: string): string | undefined {
  const value = image?.[name]?.['S'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The status change a stream record shows, or `undefined` when it shows none (see above). An
 * image without the attributes an event needs is no change either: never throws on data, since
 * a record that throws would hold up every later record of its shard.
 */
export function statusChangeOf(record: ChangeRecord): StatusChange | undefined {
  if (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY') return undefined;
  const next = record.dynamodb?.NewImage;
  const previous = record.dynamodb?.OldImage;
  const stateKey = stringOf(next, 'stateKey');
  if (stateKey === undefined || stateKey === stringOf(previous, 'stateKey')) return undefined;
  const status = stringOf(next, 'status');
  const previousStatus = stringOf(previous, 'status');
  if (status === undefined || status === previousStatus) return undefined;
  const messageId = stringOf(next, 'messageId');
  const webhookId = stringOf(next, 'webhookId');
  const eventType = stringOf(next, 'eventType');
  const occurredAt = stringOf(next, 'occurredAt');
  if (messageId === undefined || webhookId === undefined || eventType === undefined || occurredAt === undefined)
    return undefined;
  const optional: Record<string, string> = {};
  for (const field of OPTIONAL_DETAIL_FIELDS) {
    const value = field === 'previousStatus' ? previousStatus : stringOf(next, field);
    if (value !== undefined) optional[field] = value;
  }
  return {
    detailType: detailTypeOf(eventType, status),
    detail: {
      schemaVersion: STATUS_EVENT_SCHEMA_VERSION,
      messageId,
      webhookId,
      status,
      eventType,
      occurredAt,
      ...optional,
    },
  };
}
