import { statusChangeOf, type ChangeRecord, type StatusChange } from './transition';

/**
 * Puts the status changes of one batch of stream records on the bus, in stream order, so that
 * each change is put once. No AWS client here: `putEvents` is given.
 *
 * - Entries go out in PutEvents calls of up to 10. An entry EventBridge refused (PutEvents
 *   answers 200 with `FailedEntryCount` and an `ErrorCode` per refused entry) or a call that
 *   failed as a whole is sent again alone, with backoff, while time allows; an entry that was
 *   accepted is never sent again by this invocation.
 * - When entries are still refused after that, the batch stops at the first of them, and its
 *   record's sequence number is reported as the batch item failure: Lambda then checkpoints every
 *   record before it and retries from it (`ReportBatchItemFailures` on a stream). Nothing after
 *   it is sent, except what was in the same PutEvents call.
 * - Entries of that same call that were accepted are remembered (`PutMemory`, by the stream
 *   record's `eventID`), so the retry, which Lambda sends to this same warm environment when it
 *   can, does not put them again.
 *
 * What remains is at least once: an environment that ends between an accepted put and its
 * checkpoint (a timeout, a crash), or a retry on another environment, puts an event again.
 * Every event carries `detail.webhookId` for readers to dedupe on (docs/events.md).
 */

/** One entry of a PutEvents request, as the SDK takes it. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time: Date;
}

/** One result entry of PutEvents: an `EventId` when accepted, an `ErrorCode` when refused. */
export interface PutEventsResultEntry {
  readonly EventId?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** Sends one PutEvents request; rejects when the call fails as a whole. */
export type PutEvents = (entries: readonly PutEventsEntry[]) => Promise<{
  readonly FailedEntryCount?: number;
  readonly Entries?: readonly PutEventsResultEntry[];
}>;

/** A stream record as the publisher reads it. */
export interface PublishRecord extends ChangeRecord {
  /** Unique per stream record: the key of {@link PutMemory}. */
  readonly eventID?: string;
  readonly dynamodb?: ChangeRecord['dynamodb'] & { readonly SequenceNumber?: string };
}

/** PutEvents takes at most this many entries per call. */
export const MAX_ENTRIES_PER_CALL = 10;

/**
 * Stream records whose event this execution environment already put, newest last, bounded: a
 * Lambda retry of a batch comes right after the failed attempt, so recent ids are all it needs.
 */
export class PutMemory {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  get size(): number {
    return this.ids.size;
  }
}

export interface PublishOptions {
  readonly eventBusName: string;
  readonly source: string;
  readonly putEvents: PutEvents;
  readonly memory: PutMemory;
  /** Epoch ms after which no retry starts (the invocation must return before its timeout). */
  readonly deadline: number;
  /** Attempts per entry, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff; doubles per attempt, with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called once per event put, for the log. */
  readonly onPut?: (change: StatusChange) => void;
  /** Called once per refused entry or failed call, for the log. */
  readonly onRefused?: (change: StatusChange, reason: string) => void;
}

/** What one batch came to. */
export interface PublishResult {
  /** Events accepted by EventBridge in this invocation. */
  readonly put: number;
  /** Changes skipped because this environment had put them already (a retried batch). */
  readonly alreadyPut: number;
  /** Records that are not status changes. */
  readonly notChanges: number;
  /** Entries sent again after a refusal. */
  readonly resent: number;
  /** The record Lambda must retry from (with every later one), when entries stayed refused. */
  readonly failedSequenceNumber?: string;
}

interface Pending {
  readonly index: number;
  readonly record: PublishRecord;
  readonly change: StatusChange;
  readonly entry: PutEventsEntry;
}

function entryOf(change: StatusChange, options: PublishOptions): PutEventsEntry {
  return {
    Source: options.source,
    DetailType: change.detailType,
    Detail: JSON.stringify(change.detail),
    EventBusName: options.eventBusName,
    Time: new Date(change.detail.occurredAt),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Sends `group` once; returns the entries that were refused (the whole group when the call failed). */
async function putOnce(group: readonly Pending[], options: PublishOptions): Promise<Pending[]> {
  try {
    const out = await options.putEvents(group.map((p) => p.entry));
    const results = out.Entries ?? [];
    const refused = group.filter((p, i) => {
      const result = results[i];
      // A missing result entry is not an accepted one.
      const error = result === undefined ? 'MissingResult' : result.ErrorCode;
      if (error === undefined || error === '') return false;
      options.onRefused?.(p.change, `${error}${result?.ErrorMessage ? `: ${result.ErrorMessage}` : ''}`);
      return true;
    });
    return refused;
  } catch (err: unknown) {
    for (const p of group) options.onRefused?.(p.change, describe(err));
    return [...group];
  }
}

/** Puts one call's entries, resending the refused ones; returns those still refused, in order. */
async function putGroup(
  group: readonly Pending[],
  options: PublishOptions,
  counts: { put: number; resent: number },
): Promise<Pending[]> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.baseDelayMs ?? 100;
  let pending = [...group];
  for (let attempt = 1; ; attempt++) {
    const refused = await putOnce(pending, options);
    for (const p of pending) {
      if (refused.includes(p)) continue;
      if (p.record.eventID !== undefined) options.memory.add(p.record.eventID);
      counts.put++;
      options.onPut?.(p.change);
    }
    if (refused.length === 0 || attempt >= maxAttempts) return refused;
    const delay = Math.random() * base * 2 ** (attempt - 1);
    if (now() + delay >= options.deadline) return refused;
    await sleep(delay);
    counts.resent += refused.length;
    pending = refused;
  }
}

/** Publishes the status changes among `records` (one stream batch, in stream order). */
export async function publishChanges(
  records: readonly PublishRecord[],
  options: PublishOptions,
): Promise<PublishResult> {
  const pending: Pending[] = [];
  let alreadyPut = 0;
  let notChanges = 0;
  for (const [index, record] of records.entries()) {
    const change = statusChangeOf(record);
    if (!change) notChanges++;
    else if (record.eventID !== undefined && options.memory.has(record.eventID)) alreadyPut++;
    else pending.push({ index, record, change, entry: entryOf(change, options) });
  }
  const counts = { put: 0, resent: 0 };
  for (let start = 0; start < pending.length; start += MAX_ENTRIES_PER_CALL) {
    const refused = await putGroup(pending.slice(start, start + MAX_ENTRIES_PER_CALL), options, counts);
    const first = refused[0];
    if (first) {
      return {
        ...counts,
        alreadyPut,
        notChanges,
        // Without a sequence number Lambda cannot resume at the record: the whole batch is retried.
        failedSequenceNumber: first.record.dynamodb?.SequenceNumber ?? '',
      };
    }
  }
  return { ...counts, alreadyPut, notChanges };
}
