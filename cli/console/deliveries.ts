import { S3Client } from '@aws-sdk/client-s3';
import type { ArchiveRecord } from '../../lambda/common/archive-record';
import { parseEnvelope } from '../../lambda/common/envelope';
import { CliError } from '../command';
import type { MessageView, TimelineEntry } from '../message-queries';
import { readHours, type ArchiveLocation, type UnreadableObject } from '../replay/archive-reader';
import { archiveLocation, s3Settings } from '../replay/run';
import { explainAwsError, type StackContext } from '../stack-context';

/**
 * The timeline's deliveries, from the archive: the message item keeps each distinct event once
 * (the consumer dedupes on `webhookId`), while the archive keeps every delivery Volt made, so
 * the archive is where a duplicate delivery shows.
 */

const HOUR_MS = 3_600_000;

/** The most archive objects one timeline request reads (GetObject). */
export const MAX_OBJECTS_PER_VIEW = 200;
/** How long one timeline request may spend reading the archive. */
export const ARCHIVE_TIME_BOUND_MS = 4000;

/**
 * What the archive said about this timeline:
 * - `read`: every object of the hours read;
 * - `partial`: stopped at the object or time bound (the next refresh reads on);
 * - `off`: the stack has no archive;
 * - `unavailable`: the archive could not be read (the reason says why).
 */
export type ArchiveState = 'read' | 'partial' | 'off' | 'unavailable';

export interface ArchiveStatus {
  readonly state: ArchiveState;
  /** One sentence for the page. */
  readonly detail: string;
  /** The hour prefixes read (`<prefix>yyyy/mm/dd/hh/`). */
  readonly hours?: string[];
  /** Objects read by this request, and those held from earlier ones. */
  readonly objectsRead?: number;
  readonly objectsCached?: number;
  /** Objects listed and not read yet. */
  readonly objectsUnread?: number;
  readonly unreadable?: UnreadableObject[];
  readonly elapsedMs?: number;
}

/** A timeline entry with its deliveries from the archive (absent while the archive was not read). */
export interface DeliveredEntry extends TimelineEntry {
  /** Distinct deliveries of this webhook id found in the archive. */
  readonly deliveries?: number;
  /** Delivered more than once. */
  readonly duplicate?: boolean;
  /** When each delivery was received, in order. */
  readonly receivedAt?: string[];
}

/** An archived delivery of this message whose webhook id is not in the message's history. */
export interface UnrecordedDelivery {
  readonly webhookId: string;
  readonly eventType: string;
  readonly status?: string;
  /** `payload.occurred_at` of the body, when it has one. */
  readonly occurredAt?: string;
  readonly deliveries: number;
  readonly duplicate: boolean;
  readonly receivedAt: string[];
}

export interface MarkedTimeline {
  readonly timeline: DeliveredEntry[];
  readonly unrecorded: UnrecordedDelivery[];
}

/**
 * The receive times of each webhook id's deliveries. One delivery is counted once however many
 * archive objects hold it: the archive queue is at least once, so a batch read twice can be
 * archived twice under two keys with the same `receivedAt`, while a retry from Volt reaches the
 * ingest again and gets a receive time of its own.
 */
export function deliveriesById(records: readonly ArchiveRecord[]): Map<string, string[]> {
  const byId = new Map<string, Set<string>>();
  for (const r of records) {
    const times = byId.get(r.webhookId) ?? new Set<string>();
    times.add(r.receivedAt);
    byId.set(r.webhookId, times);
  }
  return new Map([...byId].map(([id, times]) => [id, [...times].sort()]));
}

function bodyFacts(record: ArchiveRecord): { status?: string; occurredAt?: string } {
  try {
    const { payload } = parseEnvelope(record.body);
    const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    const status = str(payload.status);
    const occurredAt = str(payload.occurred_at);
    return { ...(status ? { status } : {}), ...(occurredAt ? { occurredAt } : {}) };
  } catch {
    return {};
  }
}

/**
 * Marks each timeline entry with its deliveries in `records` (this message's archived
 * deliveries), and lists the archived deliveries whose webhook id the history does not hold.
 */
export function markDeliveries(timeline: readonly TimelineEntry[], records: readonly ArchiveRecord[]): MarkedTimeline {
  const byId = deliveriesById(records);
  const known = new Set(timeline.map((e) => e.webhookId));
  const marked = timeline.map((entry): DeliveredEntry => {
    const receivedAt = byId.get(entry.webhookId) ?? [];
    return { ...entry, deliveries: receivedAt.length, duplicate: receivedAt.length > 1, receivedAt };
  });
  const unrecorded: UnrecordedDelivery[] = [];
  for (const [webhookId, receivedAt] of byId) {
    if (known.has(webhookId)) continue;
    const first = records.find((r) => r.webhookId === webhookId) as ArchiveRecord;
    unrecorded.push({
      webhookId,
      eventType: first.eventType,
      ...bodyFacts(first),
      deliveries: receivedAt.length,
      duplicate: receivedAt.length > 1,
      receivedAt,
    });
  }
  unrecorded.sort((a, b) => (a.receivedAt[0] ?? '').localeCompare(b.receivedAt[0] ?? ''));
  return { timeline: marked, unrecorded };
}

/**
 * The receive times to read around: one hour either side of every time the item records
 * (each event's `occurredAt`, the state's `occurredAt`, the last write's `updatedAt`), for the
 * lag between an event and its receipt. Overlapping spans are merged, so a message whose events
 * are minutes apart is one span, from an hour before the first to an hour after the last; one
 * finalized days later adds a second span instead of every hour in between.
 */
export function deliverySpans(view: MessageView, timeline: readonly TimelineEntry[]): { since: Date; until: Date }[] {
  const times = [
    ...timeline.map((e) => e.occurredAt),
    typeof view.occurredAt === 'string' ? view.occurredAt : undefined,
    typeof view.updatedAt === 'string' ? view.updatedAt : undefined,
  ]
    .map((t) => (t === undefined ? NaN : Date.parse(t)))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  const spans: { since: Date; until: Date }[] = [];
  for (const t of times) {
    const last = spans.at(-1);
    if (last !== undefined && t - HOUR_MS <= last.until.getTime()) last.until = new Date(t + HOUR_MS);
    else spans.push({ since: new Date(t - HOUR_MS), until: new Date(t + HOUR_MS) });
  }
  return spans;
}

/** The start of the hour an hour prefix (`<prefix>yyyy/mm/dd/hh/`) names, in ms; NaN for another key. */
export function hourStartOf(hourPrefix: string): number {
  const m = /(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/$/.exec(hourPrefix);
  return m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:00:00Z`) : NaN;
}

/** The archive reads one timeline needs; tests replace the S3 client. */
export interface ArchiveDeliveriesOptions {
  readonly s3?: S3Client;
  readonly maxObjects?: number;
  readonly timeBoundMs?: number;
  readonly now?: () => number;
}

/** What one message's views have read so far. */
interface Seen {
  readonly listings: Map<string, { keys: string[]; at: number }>;
  /** Key -> this message's records in it. */
  readonly objects: Map<string, ArchiveRecord[]>;
}

/** An hour that ended this long ago is only listed again after {@link RELIST_CLOSED_MS}. */
const OPEN_HOUR_MS = 15 * 60_000;
const RELIST_CLOSED_MS = 60_000;
/** Messages whose reads are kept (least recently viewed dropped first). */
const KEPT_MESSAGES = 50;

/**
 * Reads one message's deliveries from the archive, keeping what it read: the page refreshes a
 * timeline every few seconds, and archive objects do not change once written (a rewrite of a
 * batch has the same key and the same records), so a refresh lists the hours that can still
 * grow and reads only objects it has not read. Deployed, it calls ListObjectsV2 and GetObject
 * only.
 */
export class ArchiveDeliveries {
  private readonly location?: ArchiveLocation;
  private readonly offReason?: string;
  private readonly s3?: S3Client;
  private readonly seen = new Map<string, Seen>();
  private readonly maxObjects: number;
  private readonly timeBoundMs: number;
  private readonly now: () => number;

  constructor(
    private readonly ctx: StackContext,
    options: ArchiveDeliveriesOptions = {},
  ) {
    this.maxObjects = options.maxObjects ?? MAX_OBJECTS_PER_VIEW;
    this.timeBoundMs = options.timeBoundMs ?? ARCHIVE_TIME_BOUND_MS;
    this.now = options.now ?? Date.now;
    try {
      this.location = archiveLocation(ctx);
      this.s3 = options.s3 ?? new S3Client(s3Settings(ctx));
    } catch (err: unknown) {
      if (!(err instanceof CliError)) throw err;
      this.offReason = err.message;
    }
  }

  close(): void {
    this.s3?.destroy();
  }

  /** The timeline marked with its deliveries, and the archive's status for it. Never throws for the archive's sake. */
  async mark(
    messageId: string,
    view: MessageView,
    timeline: TimelineEntry[],
  ): Promise<MarkedTimeline & { archive: ArchiveStatus }> {
    const unmarked = { timeline, unrecorded: [] };
    if (this.location === undefined || this.s3 === undefined)
      return { ...unmarked, archive: { state: 'off', detail: `archive not available: ${this.offReason ?? 'off'}` } };
    const spans = deliverySpans(view, timeline);
    if (spans.length === 0)
      return {
        ...unmarked,
        archive: { state: 'unavailable', detail: 'archive not read: the message records no time to look around' },
      };
    const seen = this.seenFor(messageId);
    const now = this.now();
    try {
      const read = await readHours(this.s3, this.location, {
        spans,
        keep: (r) => r.messageId === messageId,
        listed: (hour) => {
          const listing = seen.listings.get(hour);
          if (listing === undefined) return undefined;
          const start = hourStartOf(hour);
          const open = !Number.isFinite(start) || start + HOUR_MS + OPEN_HOUR_MS > now;
          return open || now - listing.at > RELIST_CLOSED_MS ? undefined : listing.keys;
        },
        skip: (key) => seen.objects.has(key),
        maxObjects: this.maxObjects,
        signal: AbortSignal.timeout(this.timeBoundMs),
      });
      for (const [hour, keys] of read.listings) seen.listings.set(hour, { keys, at: now });
      for (const [key, records] of read.objects) seen.objects.set(key, records);
      const hours = new Set(read.hourPrefixes);
      const records = [...seen.objects]
        .filter(([key]) => hours.has(key.slice(0, key.lastIndexOf('/') + 1)))
        .flatMap(([, r]) => r);
      const counts = {
        hours: read.hourPrefixes,
        objectsRead: read.objects.size,
        objectsCached: seen.objects.size - read.objects.size,
        objectsUnread: read.unread,
        ...(read.unreadable.length > 0 ? { unreadable: read.unreadable } : {}),
        elapsedMs: this.now() - now,
      };
      const where = `${read.hourPrefixes.length} hour(s) of s3://${this.location.bucket}/${this.location.prefix}`;
      const archive: ArchiveStatus =
        read.stopped === undefined
          ? { state: 'read', detail: `archive read: ${where}`, ...counts }
          : {
              state: 'partial',
              detail:
                `archive partly read: ${read.unread} object(s) of ${where} left unread ` +
                (read.stopped === 'objects'
                  ? `(at most ${this.maxObjects} are read per refresh)`
                  : `(the ${this.timeBoundMs / 1000} s bound per refresh)`) +
                '; the next refresh reads on',
              ...counts,
            };
      return { ...markDeliveries(timeline, records), archive };
    } catch (err: unknown) {
      const explained = explainAwsError(err, this.ctx);
      const reason = explained instanceof Error ? explained.message : String(explained);
      return { ...unmarked, archive: { state: 'unavailable', detail: `archive not available: ${reason}` } };
    }
  }

  private seenFor(messageId: string): Seen {
    const found = this.seen.get(messageId) ?? { listings: new Map(), objects: new Map() };
    // Re-inserted so the map's order is least recently viewed first.
    this.seen.delete(messageId);
    this.seen.set(messageId, found);
    while (this.seen.size > KEPT_MESSAGES) this.seen.delete(this.seen.keys().next().value as string);
    return found;
  }
}
