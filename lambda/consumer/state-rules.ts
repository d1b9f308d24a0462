import type { EventType } from '../common/envelope';
import { EXPIRES_AT_ATTRIBUTE, failedShardOf, MESSAGE_ID_ATTRIBUTE } from '../common/message-table';
import { contactNumberOf, FAILURE_FIELDS, normalizeInstant, type MessageEvent } from './event';

/**
 * The state rules of docs/architecture.md as DynamoDB UpdateItem parameters. Nothing here talks to AWS:
 * the rules are a total order on events, and each write carries a condition that makes
 * DynamoDB itself apply that order atomically, so no write ever depends on a prior read.
 */

/** A DynamoDB attribute value, as far as this module writes them (structurally the SDK's type). */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly SS: string[] }
  | { readonly L: AttributeValue[] }
  | { readonly M: Record<string, AttributeValue> };

/** The UpdateItem input fields this module builds; pass it to `UpdateItemCommand` as is. */
export interface UpdateItemParams {
  readonly TableName: string;
  readonly Key: Record<string, AttributeValue>;
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, AttributeValue>;
  /**
   * Set on a write whose refusal leads to a decision: DynamoDB then puts the item, as the
   * condition saw it, in the `ConditionalCheckFailedException` (no extra request, no read units).
   */
  readonly ReturnValuesOnConditionCheckFailure?: 'ALL_OLD';
}

/**
 * Rank of each known event type. `message.finalized` outranks `message.sent`; an inbound
 * message only ever has `message.received`, so its rank only matters against itself.
 * Event types not listed are unknown: kept in history, never state-defining.
 */
export const EVENT_TYPE_RANK: Readonly<Record<string, number>> = {
  'message.received': 1,
  'message.sent': 2,
  'message.finalized': 3,
} satisfies Record<EventType, number>;

/**
 * Rank implied by a status (Volt's, and the Telnyx ones Volt may pass through). A final status
 * ranks as final whatever event carries it, so that e.g. a `sending_failed` can never be
 * overwritten by a later `queued` or `sent`. Unlisted statuses imply nothing (rank 0).
 */
export const STATUS_RANK: Readonly<Record<string, number>> = {
  queued: 1,
  sending: 1,
  webhook_delivered: 1,
  sent: 2,
  delivered: 3,
  failed: 3,
  delivery_failed: 3,
  sending_failed: 3,
  expired: 3,
  delivery_unconfirmed: 3,
};

/** Statuses that put a message in the failed index. `delivery_unconfirmed` is unknown, not failed. */
export const FAILURE_STATUSES: ReadonlySet<string> = new Set([
  'failed',
  'delivery_failed',
  'sending_failed',
  'expired',
]);

/**
 * Distinct events kept in `history` for stale and unknown events. Volt sends one event per
 * inbound message and two or three per outbound one; 50 is more than ten times that.
 */
export const HISTORY_LIMIT = 50;

/**
 * State-defining (newer) events are recorded in history up to this many entries, so that a
 * message flooded with stale events still records its later states. Beyond it a newer event
 * still becomes the state, without a history entry: it is counted in {@link HISTORY_DROPPED_ATTRIBUTE}.
 */
export const STATE_HISTORY_LIMIT = 2 * HISTORY_LIMIT;

/**
 * Item attribute (N): state-defining events applied without a history entry because `history`
 * held {@link STATE_HISTORY_LIMIT} entries. Absent while none was. Exact: each such event is
 * applied once, by the state order.
 */
export const HISTORY_DROPPED_ATTRIBUTE = 'historyDropped';

/** The event's rank, or `undefined` for an unknown event type (history only). */
export function rankOf(event: Pick<MessageEvent, 'eventType' | 'status'>): number | undefined {
  // Own keys only: "constructor" or "__proto__" must not find Object.prototype's members.
  const typeRank = ownRank(EVENT_TYPE_RANK, event.eventType);
  if (typeRank === undefined) return undefined;
  return Math.max(typeRank, (event.status !== undefined ? ownRank(STATUS_RANK, event.status) : undefined) ?? 0);
}

function ownRank(table: Readonly<Record<string, number>>, key: string): number | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/**
 * The total order of state-defining events as one string that DynamoDB compares byte-wise:
 * rank (one digit), then `occurredAt` (fixed-width ISO, empty when unknown so it sorts first:
 * `#` is below every digit), then the webhook id as a tiebreaker so that two events of equal
 * rank and time resolve the same way whatever order they arrive in.
 */
export function stateKeyOf(
  event: Pick<MessageEvent, 'eventType' | 'status' | 'occurredAt' | 'webhookId'>,
): string | undefined {
  const rank = rankOf(event);
  return rank === undefined ? undefined : `${rank}#${event.occurredAt ?? ''}#${event.webhookId}`;
}

/** Collects expression parts with placeholders, so each write carries only the names and values it uses. */
class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  readonly sets: string[] = [];
  readonly removes: string[] = [];
  readonly adds: string[] = [];

  name(attribute: string): string {
    const placeholder = `#${attribute}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(label: string, value: AttributeValue): string {
    const placeholder = `:${label}`;
    this.values[placeholder] = value;
    return placeholder;
  }

  set(attribute: string, value: AttributeValue): void {
    this.sets.push(`${this.name(attribute)} = ${this.value(attribute, value)}`);
  }

  /** SET when the value is present, else REMOVE: for attributes that belong to the current state. */
  setOrRemove(attribute: string, value: AttributeValue | undefined): void {
    if (value === undefined) this.removes.push(this.name(attribute));
    else this.set(attribute, value);
  }

  updateExpression(): string {
    return [
      this.sets.length ? `SET ${this.sets.join(', ')}` : '',
      this.removes.length ? `REMOVE ${this.removes.join(', ')}` : '',
      this.adds.length ? `ADD ${this.adds.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
}

const str = (s: string | undefined): AttributeValue | undefined => (s === undefined ? undefined : { S: s });
const num = (n: number | undefined): AttributeValue | undefined => (n === undefined ? undefined : { N: String(n) });

/** The history entry of an event: what docs/architecture.md lists, absent fields left out. */
export function historyEntryOf(event: MessageEvent): AttributeValue {
  const entry: Record<string, AttributeValue> = {
    webhookId: { S: event.webhookId },
    eventType: { S: event.eventType },
  };
  if (event.status !== undefined) entry.status = { S: event.status };
  if (event.occurredAt !== undefined) entry.occurredAt = { S: event.occurredAt };
  return { M: entry };
}

function mediaValue(event: MessageEvent): AttributeValue | undefined {
  if (event.media === undefined) return undefined;
  return {
    L: event.media.map((m) => {
      const item: Record<string, AttributeValue> = {};
      if (m.url !== undefined) item.url = { S: m.url };
      if (m.contentType !== undefined) item.contentType = { S: m.contentType };
      if (m.size !== undefined) item.size = { N: String(m.size) };
      if (m.sha256 !== undefined) item.sha256 = { S: m.sha256 };
      return { M: item };
    }),
  };
}

export interface PlanOptions {
  readonly tableName: string;
  /** The time of the write, for `updatedAt` and `expiresAt`. */
  readonly now: Date;
  /**
   * When the webhook was received (default `now`): the item's `occurredAt` for an event that
   * carries no usable time, so that it still has the sort key of its indexes.
   */
  readonly receivedAt?: Date;
  /** When set, every write sets `expiresAt` this many days after `now`. */
  readonly retentionDays?: number;
}

/**
 * What every write's condition requires besides the state order, as data: the write is refused
 * when `webhookId` is in `appliedIds`, or when `history` holds `historyLimit` entries or more.
 * The condition expression is built from it (see `notAppliedCondition`), so the two cannot differ.
 */
export interface WriteGuard {
  readonly webhookId: string;
  readonly historyLimit: number;
}

/** What a write plan does when its first write is refused. */
export interface WritePlan {
  /** `state`: the event may define the state; `history`: an unknown event type, history only. */
  readonly kind: 'state' | 'history';
  /** One write that applies the event entirely when it is new (and, for `state`, newer). */
  readonly first: UpdateItemParams;
  /** Sent only when `first` fails its condition (and `fallbackGuard` does not already refuse it): records a stale event in history. */
  readonly fallback?: UpdateItemParams;
  /** The guard of `fallback`'s condition; set exactly when `fallback` is. */
  readonly fallbackGuard?: WriteGuard;
  /** The event's `stateKey`; set exactly when `fallback` is. */
  readonly stateKey?: string;
  /**
   * Sent instead of `fallback` when the item `first` returned shows the event outranks the
   * current state but `history` is full: applies the state without a history entry, and counts
   * it in `historyDropped`. Set exactly when `fallback` is.
   */
  readonly stateOnly?: UpdateItemParams;
}

/** Adds what every write that records an event does: append it to history, add its id to the applied set, {@link touch}. */
function recordEvent(b: ExpressionBuilder, event: MessageEvent, options: PlanOptions): void {
  const history = b.name('history');
  b.sets.push(
    `${history} = list_append(if_not_exists(${history}, ${b.value('emptyList', { L: [] })}), ${b.value('historyEntry', { L: [historyEntryOf(event)] })})`,
  );
  b.adds.push(`${b.name('appliedIds')} ${b.value('webhookIdSet', { SS: [event.webhookId] })}`);
  touch(b, options);
}

/** Adds what every write does: `updatedAt`, and `expiresAt` when a retention is set. */
function touch(b: ExpressionBuilder, options: PlanOptions): void {
  b.set('updatedAt', { S: options.now.toISOString() });
  if (options.retentionDays !== undefined) {
    b.set(EXPIRES_AT_ATTRIBUTE, {
      N: String(Math.floor(options.now.getTime() / 1000) + options.retentionDays * 86_400),
    });
  }
}

/** `webhook id not yet applied AND history below the limit`: the part of the condition every write shares. */
function notAppliedCondition(b: ExpressionBuilder, guard: WriteGuard, limitLabel: string): string {
  const history = b.name('history');
  return (
    `NOT contains(${b.name('appliedIds')}, ${b.value('webhookId', { S: guard.webhookId })})` +
    ` AND (attribute_not_exists(${history}) OR size(${history}) < ${b.value(limitLabel, { N: String(guard.historyLimit) })})`
  );
}

/**
 * Why a write guarded by `guard` is certainly refused, judged from `item` (an item in DynamoDB
 * JSON, e.g. the one a refused write returns with `ReturnValuesOnConditionCheckFailure`), or
 * `undefined` when it may succeed or the item does not tell: then the write must be sent.
 *
 * "Certainly" holds for every later version of the item too: ids are only ever added to
 * `appliedIds` and entries only ever appended to `history`, so both refusals only become more
 * true with time. (The one exception, TTL deleting the item in between, ends as if the write
 * had been refused just before the deletion.) Only what the condition would see exactly is
 * trusted: `contains` on a string set, `size` of a list; an attribute of any other type (never
 * written here) decides nothing.
 */
export function guardRefusal(
  guard: WriteGuard,
  item: Readonly<Record<string, unknown>>,
): 'applied' | 'history-full' | undefined {
  const applied = memberOf(item['appliedIds'], 'SS');
  if (Array.isArray(applied) && applied.includes(guard.webhookId)) return 'applied';
  const history = memberOf(item['history'], 'L');
  if (Array.isArray(history) && history.length >= guard.historyLimit) return 'history-full';
  return undefined;
}

function memberOf(value: unknown, type: 'SS' | 'L' | 'S'): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[type] : undefined;
}

function params(b: ExpressionBuilder, tableName: string, messageId: string, condition: string): UpdateItemParams {
  return {
    TableName: tableName,
    Key: { [MESSAGE_ID_ATTRIBUTE]: { S: messageId } },
    UpdateExpression: b.updateExpression(),
    ConditionExpression: condition,
    ExpressionAttributeNames: b.names,
    ExpressionAttributeValues: b.values,
  };
}

/** The guard of a history-only write: stale and unknown events are kept up to `HISTORY_LIMIT` entries. */
function historyGuard(event: MessageEvent): WriteGuard {
  return { webhookId: event.webhookId, historyLimit: HISTORY_LIMIT };
}

/** The write that records an event in history only: a stale event, or one of unknown type. */
function historyWrite(event: MessageEvent, guard: WriteGuard, options: PlanOptions): UpdateItemParams {
  const b = new ExpressionBuilder();
  recordEvent(b, event, options);
  return params(b, options.tableName, event.messageId, notAppliedCondition(b, guard, 'historyLimit'));
}

/** Sets what a winning event makes of the item: its state, taken whole, and the facts it carries. */
function setState(b: ExpressionBuilder, event: MessageEvent, stateKey: string, options: PlanOptions): void {
  // The current state: taken whole from the winning event, so fields it lacks are removed.
  b.set('stateKey', { S: stateKey });
  b.set('eventType', { S: event.eventType });
  b.set('webhookId', { S: event.webhookId });
  b.setOrRemove('status', str(event.status));
  // Without a time of its own the event is listed at the time it was received: both indexes need
  // their sort key. Its place in the state order (`stateKey`) still has no time: it sorts first.
  const received = normalizeInstant((options.receivedAt ?? options.now).getTime());
  b.setOrRemove('occurredAt', str(event.occurredAt ?? received));
  for (const field of FAILURE_FIELDS) b.setOrRemove(field, str(event.failure[field]));
  const failed = event.status !== undefined && FAILURE_STATUSES.has(event.status);
  b.setOrRemove('failedShard', failed ? { S: failedShardOf(event.messageId) } : undefined);
  // Facts about the message itself, the same on every event of it: set when present, never removed.
  const facts: [string, AttributeValue | undefined][] = [
    ['direction', str(event.direction)],
    ['fromNumber', str(event.fromNumber)],
    ['toNumber', str(event.toNumber)],
    ['contactNumber', str(contactNumberOf(event))],
    ['messageAppId', str(event.messageAppId)],
    ['messageType', str(event.messageType)],
    ['text', str(event.text)],
    ['parts', num(event.parts)],
    ['encoding', str(event.encoding)],
    ['media', mediaValue(event)],
  ];
  for (const [attribute, value] of facts) if (value !== undefined) b.set(attribute, value);
}

/** `no stateKey yet, or a lower one`: the state order, as a condition. */
function outranksCondition(b: ExpressionBuilder, stateKey: string): string {
  const current = b.name('stateKey');
  return `(attribute_not_exists(${current}) OR ${current} < ${b.value('stateKey', { S: stateKey })})`;
}

/** The write that makes an event the message's current state, if it is newer than the current one. */
function stateWrite(event: MessageEvent, stateKey: string, options: PlanOptions): UpdateItemParams {
  const b = new ExpressionBuilder();
  recordEvent(b, event, options);
  setState(b, event, stateKey, options);
  const condition =
    `${notAppliedCondition(b, { webhookId: event.webhookId, historyLimit: STATE_HISTORY_LIMIT }, 'stateHistoryLimit')}` +
    ` AND ${outranksCondition(b, stateKey)}`;
  // When refused, the item it returns tells what to send next (see `afterStateRefusal`).
  return {
    ...params(b, options.tableName, event.messageId, condition),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
}

/**
 * The state write of an event whose history entry no longer fits: the state without the entry
 * and without the id (neither may grow the item any further), and `historyDropped` counted. The
 * state order alone keeps it from applying twice: a second delivery no longer outranks itself.
 */
function stateOnlyWrite(event: MessageEvent, stateKey: string, options: PlanOptions): UpdateItemParams {
  const b = new ExpressionBuilder();
  touch(b, options);
  setState(b, event, stateKey, options);
  b.adds.push(`${b.name(HISTORY_DROPPED_ATTRIBUTE)} ${b.value('one', { N: '1' })}`);
  const history = b.name('history');
  const condition =
    `${outranksCondition(b, stateKey)}` +
    ` AND size(${history}) >= ${b.value('stateHistoryLimit', { N: String(STATE_HISTORY_LIMIT) })}`;
  return params(b, options.tableName, event.messageId, condition);
}

/** Byte-wise, as DynamoDB compares strings (UTF-8), not as JavaScript does (UTF-16 code units). */
function utf8Less(a: string, b: string): boolean {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
}

/**
 * What follows a refused state write (`plan.first` of a `state` plan), judged from the item the
 * refusal returned:
 * - `applied`: a duplicate. Its id is in `appliedIds`, or its `stateKey` is the current one (an
 *   event applied without a history entry). Nothing more is sent.
 * - `state-only`: it outranks the current state; only the full history refused it. Send `stateOnly`.
 * - `history-full`: stale, and `history` holds {@link HISTORY_LIMIT} entries: it is dropped
 *   from history. Nothing more is sent.
 * - `undefined`: stale with room in history, or the item does not tell: send `fallback`, whose
 *   own condition decides.
 * Each holds for every later version of the item too (see `guardRefusal`; `stateKey` only grows).
 */
export function afterStateRefusal(
  plan: WritePlan,
  item: Readonly<Record<string, unknown>>,
): 'applied' | 'state-only' | 'history-full' | undefined {
  if (!plan.fallbackGuard || plan.stateKey === undefined) return undefined;
  const refusal = guardRefusal(plan.fallbackGuard, item);
  if (refusal === 'applied') return 'applied';
  const current = item['stateKey'] === undefined ? undefined : memberOf(item['stateKey'], 'S');
  if (current === plan.stateKey) return 'applied';
  const outranks = item['stateKey'] === undefined || (typeof current === 'string' && utf8Less(current, plan.stateKey));
  const history = memberOf(item['history'], 'L');
  if (outranks && Array.isArray(history) && history.length >= STATE_HISTORY_LIMIT) return 'state-only';
  return refusal;
}

/**
 * The writes for one event. A new, newer event costs one write (`first`). When `first` fails
 * its condition the event is a duplicate, stale, or newer on a full history; the item `first`
 * returns tells which (`afterStateRefusal`): `fallback` records a stale event in history,
 * `stateOnly` applies a newer one without its history entry, and a duplicate gets nothing more.
 * Without that item `fallback` is sent, and fails harmlessly for a duplicate. So no event ever
 * costs more than two writes, and a duplicate costs one.
 */
export function planWrites(event: MessageEvent, options: PlanOptions): WritePlan {
  const stateKey = stateKeyOf(event);
  const guard = historyGuard(event);
  if (stateKey === undefined) return { kind: 'history', first: historyWrite(event, guard, options) };
  return {
    kind: 'state',
    first: stateWrite(event, stateKey, options),
    fallback: historyWrite(event, guard, options),
    fallbackGuard: guard,
    stateKey,
    stateOnly: stateOnlyWrite(event, stateKey, options),
  };
}
