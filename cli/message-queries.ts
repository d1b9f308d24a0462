import {
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { E164_EXAMPLE, isE164 } from '../lambda/common/formats';
import { MAX_ID_LENGTH } from '../lambda/common/envelope';
import { stateKeyOf } from '../lambda/consumer/state-rules';
import { allFailedShards, CONTACT_INDEX, FAILED_INDEX, MESSAGE_ID_ATTRIBUTE } from '../lambda/common/message-table';
import { parseArgs } from 'node:util';
import { STACK_OUTPUTS } from '../lib/stack-outputs';
import { CliError, UsageError } from './command';
import {
  explainAwsError,
  requireOutput,
  resolveStackContext,
  STACK_OPTIONS,
  stackOptionsFrom,
  type StackContext,
  type StackOptions,
} from './stack-context';

/** A DynamoDB value as plain JSON. */
export type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

/** Decodes one attribute value; numbers become JS numbers (every number this table holds is small). */
export function fromAttributeValue(value: AttributeValue): Plain {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.SS !== undefined) return [...value.SS];
  if (value.NS !== undefined) return value.NS.map(Number);
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromItem(value.M);
  if (value.B !== undefined) return Buffer.from(value.B).toString('base64');
  return null;
}

export function fromItem(item: Record<string, AttributeValue>): { [key: string]: Plain } {
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, fromAttributeValue(v)]));
}

/** Bookkeeping attributes of the consumer, left out of what the CLI shows. */
const INTERNAL_ATTRIBUTES = new Set(['appliedIds', 'stateKey']);

/** A message item as shown: plain JSON without the consumer's bookkeeping. */
export type MessageView = { readonly [key: string]: Plain };

export function toView(item: Record<string, AttributeValue>): MessageView {
  return Object.fromEntries(Object.entries(fromItem(item)).filter(([k]) => !INTERNAL_ATTRIBUTES.has(k)));
}

/** One history entry as stored: `{webhookId, eventType, status, occurredAt}`. */
export interface HistoryEntry {
  readonly webhookId: string;
  readonly eventType: string;
  readonly status?: string;
  readonly occurredAt?: string;
}

/** History as stored: in arrival order, which reordering on the way may differ from event time order. */
function historyInArrivalOrder(view: MessageView): HistoryEntry[] {
  const raw = view.history;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((e): HistoryEntry[] => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return [];
    const str = (v: Plain | undefined) => (typeof v === 'string' ? v : undefined);
    const webhookId = str(e.webhookId);
    if (webhookId === undefined) return [];
    const status = str(e.status);
    const occurredAt = str(e.occurredAt);
    return [
      {
        webhookId,
        eventType: str(e.eventType) ?? 'unknown',
        ...(status ? { status } : {}),
        ...(occurredAt ? { occurredAt } : {}),
      },
    ];
  });
}

function byEventTime<T extends HistoryEntry>(entries: T[]): T[] {
  return entries.sort(
    (a, b) => (a.occurredAt ?? '').localeCompare(b.occurredAt ?? '') || a.webhookId.localeCompare(b.webhookId),
  );
}

/** History in event time order (it is stored in arrival order, which reordering may scramble). */
export function historyOf(view: MessageView): HistoryEntry[] {
  return byEventTime(historyInArrivalOrder(view));
}

/**
 * What one recorded event did to the message:
 * - `current`: it defines the message's current state (the item's `webhookId`);
 * - `superseded`: it defined the state when it arrived, and a later-ranked event replaced it;
 * - `stale`: it arrived after an event that outranks it (by the consumer's state order), so it
 *   was recorded without changing the state;
 * - `history-only`: an event type the state order does not know.
 */
export type TimelineRole = 'current' | 'superseded' | 'stale' | 'history-only';

export interface TimelineEntry extends HistoryEntry {
  readonly role: TimelineRole;
  /** 1 for the first event stored, in arrival order. */
  readonly arrival: number;
}

/**
 * The message's events in `occurredAt` order, each with its role, replaying the consumer's state
 * order (`stateKeyOf`) over the arrival order the history keeps. Duplicate deliveries are not
 * recorded per message (each distinct event is stored once), so none appear here; the console
 * counts them in the delivery archive (cli/console/deliveries.ts).
 */
export function timelineOf(view: MessageView): TimelineEntry[] {
  let newest: string | undefined;
  const entries = historyInArrivalOrder(view).map((entry, i): TimelineEntry => {
    const key = stateKeyOf(entry);
    let role: TimelineRole;
    if (key === undefined) role = 'history-only';
    else if (newest !== undefined && key <= newest) role = 'stale';
    else {
      newest = key;
      role = 'superseded';
    }
    if (entry.webhookId === view.webhookId) role = 'current';
    return { ...entry, role, arrival: i + 1 };
  });
  return byEventTime(entries);
}

/** E.164 after dropping the spaces, dashes, dots and parentheses people write numbers with. */
export function parseE164(value: string): string {
  const compact = value.replace(/[\s().-]/g, '');
  if (!isE164(compact)) {
    throw new UsageError(`"${value}" is not an E.164 phone number (a + then 7 to 15 digits, e.g. ${E164_EXAMPLE})`);
  }
  return compact;
}

export function checkMessageId(value: string | undefined): string {
  if (value === undefined || value.trim() === '')
    throw new UsageError('a message id is required (e.g. rf_o6aDxhawR227gt5wgZ2I)');
  if (value.length > MAX_ID_LENGTH) throw new UsageError(`message id is longer than ${MAX_ID_LENGTH} characters`);
  return value.trim();
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const RELATIVE = /^(\d{1,6})([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time argument: ISO 8601 (`2026-05-01`, `2026-05-01T12:00`, with a zone or UTC when none),
 * or a span before now (`30m`, `24h`, `7d`, `2w`). Returns the normalized ISO string the table stores.
 */
export function parseTimeArg(value: string, option: string, now: Date = new Date()): string {
  const text = value.trim();
  const relative = RELATIVE.exec(text);
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (UNIT_MS[relative[2] ?? ''] ?? 0)).toISOString();
  const match = ISO_DATE_TIME.exec(text);
  const bad = () =>
    new UsageError(
      `${option} "${value}" is not a date: use ISO 8601 (2026-05-01, 2026-05-01T12:00Z) or a span before now (30m, 24h, 7d)`,
    );
  if (!match) throw bad();
  const zoned =
    match[4] === undefined
      ? `${text}T00:00Z`
      : match[7] === undefined
        ? `${text.replace(' ', 'T')}Z`
        : text.replace(' ', 'T');
  const ms = Date.parse(zoned);
  if (!Number.isFinite(ms)) throw bad();
  // Date.parse rolls 2026-02-30 over into March; a calendar date must come back unchanged.
  if (match[7] === undefined && new Date(ms).toISOString().slice(0, 10) !== `${match[1]}-${match[2]}-${match[3]}`)
    throw bad();
  return new Date(ms).toISOString();
}

export interface TimeRange {
  /** Inclusive. */
  readonly since?: string;
  /** Exclusive. */
  readonly until?: string;
}

/** The sort-key part of a key condition for a time range on `occurredAt`. */
function rangeCondition(
  range: TimeRange,
  input: { names: Record<string, string>; values: Record<string, AttributeValue> },
): string {
  if (range.since !== undefined || range.until !== undefined) input.names['#t'] = 'occurredAt';
  if (range.since !== undefined && range.until !== undefined) {
    if (range.since >= range.until)
      throw new UsageError(`--since (${range.since}) must be before --until (${range.until})`);
    input.values[':since'] = { S: range.since };
    // BETWEEN is inclusive at both ends; the last millisecond before `until` makes the end exclusive.
    input.values[':until'] = { S: new Date(Date.parse(range.until) - 1).toISOString() };
    return ' AND #t BETWEEN :since AND :until';
  }
  if (range.since !== undefined) {
    input.values[':since'] = { S: range.since };
    return ' AND #t >= :since';
  }
  if (range.until !== undefined) {
    input.values[':until'] = { S: range.until };
    return ' AND #t < :until';
  }
  return '';
}

/** Reads the messages table of one stack; every AWS error a user can act on becomes a {@link CliError}. */
export class MessageQueries {
  readonly tableName: string;
  private readonly client: DynamoDBClient;

  constructor(private readonly ctx: StackContext) {
    this.tableName = requireOutput(ctx, STACK_OUTPUTS.tableName);
    this.client = new DynamoDBClient({ ...ctx.dynamodb, maxAttempts: 3 });
  }

  close(): void {
    this.client.destroy();
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err: unknown) {
      if (err instanceof Error && err.name === 'ResourceNotFoundException') {
        throw new CliError(
          `table ${this.tableName} (or its index) not found: is the stack deployed with this version?`,
        );
      }
      throw explainAwsError(err, this.ctx);
    }
  }

  /** The message's item; a {@link CliError} when there is none. */
  async get(messageId: string): Promise<MessageView> {
    const { Item } = await this.call(() =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [MESSAGE_ID_ATTRIBUTE]: { S: messageId } },
          ConsistentRead: true,
        }),
      ),
    );
    if (!Item)
      throw new CliError(
        `no message "${messageId}" in table ${this.tableName} (ids look like rf_... for outbound messages, a UUID for inbound ones)`,
      );
    return toView(Item);
  }

  /** Newest first, up to `limit`, reading page after page of one index partition. */
  private async queryPartition(
    index: { name: string; partitionKey: string },
    key: string,
    range: TimeRange,
    limit: number,
  ): Promise<MessageView[]> {
    const names: Record<string, string> = { '#p': index.partitionKey };
    const values: Record<string, AttributeValue> = { ':p': { S: key } };
    const condition = `#p = :p${rangeCondition(range, { names, values })}`;
    const found: MessageView[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const input: QueryCommandInput = {
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: Math.min(limit - found.length, 500),
        ...(start ? { ExclusiveStartKey: start } : {}),
      };
      const page = await this.call(() => this.client.send(new QueryCommand(input)));
      for (const item of page.Items ?? []) found.push(toView(item));
      start = page.LastEvaluatedKey;
    } while (start && found.length < limit);
    return found;
  }

  /** Messages with one contact number, newest first. */
  byContact(contact: string, range: TimeRange, limit: number): Promise<MessageView[]> {
    return this.queryPartition(CONTACT_INDEX, contact, range, limit);
  }

  /**
   * The newest messages of a time range, whatever their contact: the table has no index by time
   * alone, so this scans, with the range as a filter, at most `maxPages` pages of 1 MB (each
   * page costs read capacity on AWS: the console bounds it). Newest first, up to `limit`;
   * `truncated` when pages were left unread, so older messages may be missing.
   */
  async recent(
    range: TimeRange,
    limit: number,
    maxPages = 4,
  ): Promise<{ messages: MessageView[]; truncated: boolean }> {
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = {};
    const condition = rangeCondition(range, { names, values }).replace(/^ AND /, '');
    const found: MessageView[] = [];
    let start: Record<string, AttributeValue> | undefined;
    let pages = 0;
    do {
      const page = await this.call(() =>
        this.client.send(
          new ScanCommand({
            TableName: this.tableName,
            ...(condition
              ? { FilterExpression: condition, ExpressionAttributeNames: names, ExpressionAttributeValues: values }
              : {}),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) found.push(toView(item));
      start = page.LastEvaluatedKey;
      pages++;
    } while (start && pages < maxPages);
    return { messages: newestFirst(found).slice(0, limit), truncated: start !== undefined };
  }

  /** Failed messages, newest first: every shard of the failed index, merged. */
  async failed(range: TimeRange, limit: number): Promise<MessageView[]> {
    const shards = await Promise.all(
      allFailedShards().map((shard) => this.queryPartition(FAILED_INDEX, shard, range, limit)),
    );
    return newestFirst(shards.flat()).slice(0, limit);
  }
}

/** By `occurredAt`, newest first; the message id breaks ties so the order is stable. */
function newestFirst(messages: MessageView[]): MessageView[] {
  return messages.sort(
    (a, b) =>
      String(b.occurredAt ?? '').localeCompare(String(a.occurredAt ?? '')) ||
      String(a.messageId).localeCompare(String(b.messageId)),
  );
}

/** A plain-text table: a header row, then one row per entry; columns as wide as their widest cell. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** A cell's text: `-` for nothing, one line, cut to `max` characters. */
export function cell(value: Plain | undefined, max = 40): string {
  if (value === undefined || value === null || value === '') return '-';
  const text = (typeof value === 'object' ? JSON.stringify(value) : String(value)).replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Resolves the stack from the command's options, runs `use` with its table, and closes the client. */
export async function withMessageQueries<T>(
  options: StackOptions,
  use: (queries: MessageQueries) => Promise<T>,
): Promise<T> {
  const queries = new MessageQueries(await resolveStackContext(options));
  try {
    return await use(queries);
  } finally {
    queries.close();
  }
}

/**
 * The argument handling `status` and `history` share: exactly one message id, `--json`, and the
 * stack options; returns the id, the stored message and whether to print JSON.
 */
export async function readOneMessage(
  argv: readonly string[],
): Promise<{ messageId: string; view: MessageView; json: boolean }> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { ...STACK_OPTIONS, json: { type: 'boolean', default: false } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError('exactly one message id is required');
  const messageId = checkMessageId(positionals[0]);
  const view = await withMessageQueries(stackOptionsFrom(values), (q) => q.get(messageId));
  return { messageId, view, json: values.json };
}

/** `--limit`: how many messages a list command prints at most. */
export function parseLimit(value: string | undefined): number {
  if (value === undefined) return 50;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new UsageError(`--limit "${value}" must be a whole number from 1 to 10000`);
  return n;
}

/** The rows a list command prints for messages. */
export function renderMessageList(messages: readonly MessageView[]): string {
  if (messages.length === 0) return 'No messages found.';
  return renderTable(
    ['OCCURRED AT', 'MESSAGE ID', 'DIRECTION', 'STATUS', 'FROM', 'TO', 'ERROR', 'TEXT'],
    messages.map((m) => [
      cell(m.occurredAt),
      cell(m.messageId, 60),
      cell(m.direction),
      cell(m.status),
      cell(m.fromNumber),
      cell(m.toNumber),
      cell(
        m.errorCode !== undefined ? `${String(m.errorCode)} ${String(m.providerErrorTitle ?? '')}`.trim() : undefined,
        36,
      ),
      cell(m.text, 30),
    ]),
  );
}

/** Options shared by the list commands (`messages`, `failed`). */
export const LIST_OPTIONS = {
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export const LIST_OPTIONS_HELP = `  --since <time>         from this time on (inclusive)
  --until <time>         before this time (exclusive)
  --limit <n>            at most this many messages (default 50)
  --json                 print a JSON array

Times: ISO 8601 (2026-05-01, 2026-05-01T12:00:00Z; UTC when no zone is given) or a span before
now (30m, 24h, 7d, 2w).`;

/** Reads `--since`, `--until` and `--limit` as the list commands take them. */
export function listArgs(values: { since?: string; until?: string; limit?: string }): {
  range: TimeRange;
  limit: number;
} {
  const range: TimeRange = {
    ...(values.since !== undefined ? { since: parseTimeArg(values.since, '--since') } : {}),
    ...(values.until !== undefined ? { until: parseTimeArg(values.until, '--until') } : {}),
  };
  // Checked here too, so the mistake is reported before the stack is looked up.
  if (range.since !== undefined && range.until !== undefined && range.since >= range.until)
    throw new UsageError(`--since (${range.since}) must be before --until (${range.until})`);
  return { range, limit: parseLimit(values.limit) };
}
