import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import {
  ARCHIVE_OBJECT_SUFFIX,
  archiveHourPrefixes,
  decodeArchiveObject,
  type ArchiveRecord,
} from '../../lambda/common/archive-record';
import { InvalidEventError } from '../../lambda/common/errors';
import { inWindow, type ReplayWindow } from './window';

/** Where the archive is: the `ArchiveBucketName` and `ArchivePrefix` outputs. */
export interface ArchiveLocation {
  readonly bucket: string;
  readonly prefix: string;
}

/** An archive object that could not be read as records (damaged or not an archive object). */
export interface UnreadableObject {
  readonly key: string;
  readonly reason: string;
}

/** The records of one receive hour that fall in the window, in receive order. */
export interface HourOfRecords {
  /** `<prefix>yyyy/mm/dd/hh/`. */
  readonly hourPrefix: string;
  /** The objects read. */
  readonly objects: number;
  readonly records: ArchiveRecord[];
  readonly unreadable: UnreadableObject[];
}

/** The archive objects under one hour prefix, in key order. */
export async function listHourObjects(
  s3: S3Client,
  location: ArchiveLocation,
  hourPrefix: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const keys: string[] = [];
  const pages = paginateListObjectsV2(
    { client: s3 },
    { Bucket: location.bucket, Prefix: hourPrefix },
    ...(signal ? [{ abortSignal: signal }] : []),
  );
  for await (const page of pages) {
    for (const object of page.Contents ?? []) if (object.Key?.endsWith(ARCHIVE_OBJECT_SUFFIX)) keys.push(object.Key);
  }
  return keys.sort();
}

/** The records of one archive object; throws {@link InvalidEventError} for an object that is not one. */
export async function readArchiveObject(
  s3: S3Client,
  location: ArchiveLocation,
  key: string,
  signal?: AbortSignal,
): Promise<ArchiveRecord[]> {
  const { Body } = await s3.send(
    new GetObjectCommand({ Bucket: location.bucket, Key: key }),
    signal ? { abortSignal: signal } : {},
  );
  if (Body === undefined) throw new InvalidEventError(`${key}: S3 returned no body`);
  return decodeArchiveObject(await Body.transformToByteArray(), key);
}

/**
 * Reads the window from the archive one receive hour at a time (an hour's objects overlap in
 * time, so records are sorted within the hour, which keeps memory to one hour of deliveries).
 * Both deliveries of an event Volt sent twice are returned: the caller keeps the first one
 * that verifies, so a tampered copy cannot hide the genuine one.
 */
export async function* readWindow(
  s3: S3Client,
  location: ArchiveLocation,
  window: ReplayWindow,
): AsyncGenerator<HourOfRecords> {
  for (const hourPrefix of archiveHourPrefixes(location.prefix, window.since, window.until)) {
    const keys = await listHourObjects(s3, location, hourPrefix);
    const unreadable: UnreadableObject[] = [];
    const all: ArchiveRecord[] = [];
    for (const key of keys) {
      try {
        all.push(...(await readArchiveObject(s3, location, key)));
      } catch (err: unknown) {
        if (!(err instanceof InvalidEventError)) throw err;
        unreadable.push({ key, reason: err.message });
      }
    }
    const records = all
      .filter((r) => inWindow(window, r.receivedAt, r.eventType))
      .sort((a, b) => Date.parse(a.receivedAt) - Date.parse(b.receivedAt) || a.webhookId.localeCompare(b.webhookId));
    yield { hourPrefix, objects: keys.length, records, unreadable };
  }
}

/** What {@link readHours} reads: the receive hours of some spans, within a budget. */
export interface ReadHoursOptions {
  /** Each [`since`, `until`); an hour in two spans is read once. */
  readonly spans: readonly { readonly since: Date; readonly until: Date }[];
  /** The records to keep from each object read; the rest are dropped as it is read. @default all */
  readonly keep?: (record: ArchiveRecord) => boolean;
  /** An hour's keys the caller already has (a listing still current), or undefined to list it. */
  readonly listed?: (hourPrefix: string) => readonly string[] | undefined;
  /** True for a key the caller has already read. */
  readonly skip?: (key: string) => boolean;
  /** The most objects read (GetObject) in this call. */
  readonly maxObjects: number;
  /** Objects read at once. @default 8 */
  readonly concurrency?: number;
  /** Stops the reading (a time bound): what was read by then is returned. */
  readonly signal?: AbortSignal;
}

export interface HoursRead {
  /** Every hour prefix of the spans, in time order. */
  readonly hourPrefixes: string[];
  /** The hours listed in this call, with their keys. */
  readonly listings: Map<string, string[]>;
  /** The objects read in this call (unreadable ones with no records), with the records kept. */
  readonly objects: Map<string, ArchiveRecord[]>;
  readonly unreadable: UnreadableObject[];
  /** Objects listed, not skipped, and left unread (over `maxObjects`, or when stopped in time). */
  readonly unread: number;
  /** Why it stopped before reading everything the span holds. */
  readonly stopped?: 'objects' | 'time';
}

/** `work`, or a rejection as soon as `signal` aborts: a request that ignores the signal cannot outlast the bound. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  let onAbort = () => {};
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * Reads the records received in the hours of some spans within a budget: at most
 * `maxObjects` objects, until `signal` aborts. Unlike {@link readWindow}, which reads a whole
 * window for replay, this serves a look at a few hours (the console's timeline) that must answer
 * in bounded time and cost, and may be repeated: the caller passes what it already has
 * (`listed`, `skip`) and only the rest is requested.
 */
export async function readHours(
  s3: S3Client,
  location: ArchiveLocation,
  options: ReadHoursOptions,
): Promise<HoursRead> {
  const hourPrefixes = [
    ...new Set(options.spans.flatMap((span) => archiveHourPrefixes(location.prefix, span.since, span.until))),
  ].sort();
  const listings = new Map<string, string[]>();
  const objects = new Map<string, ArchiveRecord[]>();
  const unreadable: UnreadableObject[] = [];
  // One failed request stops the other readers too, instead of leaving them running unawaited.
  const inner = new AbortController();
  const outer = options.signal;
  const onAbort = () => inner.abort(outer?.reason);
  if (outer?.aborted) inner.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timedOut = () => outer?.aborted === true;
  const toRead: string[] = [];
  let stopped: HoursRead['stopped'];
  try {
    try {
      for (const hourPrefix of hourPrefixes) {
        let keys = options.listed?.(hourPrefix)?.slice();
        if (keys === undefined) {
          keys = await untilAborted(listHourObjects(s3, location, hourPrefix, inner.signal), inner.signal);
          listings.set(hourPrefix, keys);
        }
        for (const key of keys) if (!options.skip?.(key)) toRead.push(key);
      }
    } catch (err: unknown) {
      if (!timedOut()) throw err;
      stopped = 'time';
    }
    const queue = toRead.slice(0, Math.max(0, options.maxObjects));
    let next = 0;
    let failure: { error: unknown } | undefined;
    const reader = async (): Promise<void> => {
      while (next < queue.length && !inner.signal.aborted) {
        const key = queue[next++] as string;
        try {
          const records = await untilAborted(readArchiveObject(s3, location, key, inner.signal), inner.signal);
          objects.set(key, options.keep ? records.filter(options.keep) : records);
        } catch (err: unknown) {
          if (inner.signal.aborted) return;
          if (err instanceof InvalidEventError) {
            unreadable.push({ key, reason: err.message });
            objects.set(key, []);
          } else {
            failure ??= { error: err };
            inner.abort(err);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, queue.length) }, reader));
    if (failure !== undefined && !timedOut()) throw failure.error;
    const unread = toRead.length - objects.size;
    if (stopped === undefined && unread > 0) stopped = timedOut() ? 'time' : 'objects';
    return { hourPrefixes, listings, objects, unreadable, unread, ...(stopped ? { stopped } : {}) };
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
}
