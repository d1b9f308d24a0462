import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidEventError } from './errors';

/**
 * The archive's contract (docs/archive.md), in one place for its writer (the archiver function),
 * its readers (`volt-webhooks replay`, the tests) and the Glue table's columns.
 *
 * An archive object holds the verified deliveries of one batch and one receive hour as gzipped
 * NDJSON, one {@link ArchiveRecord} per line, under `<prefix><yyyy>/<mm>/<dd>/<hh>/` (UTC, the
 * hour of `receivedAt`), the layout Athena's partition projection reads as one `dt` column.
 *
 * `body` is the raw webhook body as text. The ingest only accepts bodies that are UTF-8, so the
 * body's UTF-8 encoding is exactly the signed bytes ({@link archiveRecordBytes}), and JSON holds
 * every character the body can (U+FFFE, U+FFFF and escaped controls included), which SQS's body
 * does not: a queue body that came base64-encoded is decoded before it is archived.
 */
export interface ArchiveRecord {
  /** The envelope `id` (`rfw_...`), the same on every retry of one event. */
  readonly webhookId: string;
  readonly messageId: string;
  readonly eventType: string;
  /** When the ingest accepted the delivery, ISO 8601 UTC with milliseconds. */
  readonly receivedAt: string;
  /** The `X-Respond-Flow-Signature` header as received. */
  readonly signature: string;
  /** The raw body, as text. */
  readonly body: string;
}

/** The fields every record has, in the order each line writes them (and the Glue table's columns). */
export const ARCHIVE_RECORD_FIELDS = [
  'webhookId',
  'messageId',
  'eventType',
  'receivedAt',
  'signature',
  'body',
] as const satisfies readonly (keyof ArchiveRecord)[];

/** The default key prefix of archive objects in the bucket. */
export const DEFAULT_ARCHIVE_PREFIX = 'deliveries/';

/** The file name suffix of an archive object. */
export const ARCHIVE_OBJECT_SUFFIX = '.ndjson.gz';

/** The signed bytes of an archived delivery: what replay verifies and re-sends. */
export function archiveRecordBytes(record: ArchiveRecord): Buffer {
  return Buffer.from(record.body, 'utf8');
}

/** One line of an archive object (no newline). Fields in {@link ARCHIVE_RECORD_FIELDS} order. */
export function archiveLine(record: ArchiveRecord): string {
  const ordered: Record<string, string> = {};
  for (const field of ARCHIVE_RECORD_FIELDS) ordered[field] = record[field];
  return JSON.stringify(ordered);
}

/** The gzipped NDJSON object of some records, each line ending in `\n`. */
export function encodeArchiveObject(records: readonly ArchiveRecord[]): Buffer {
  return gzipSync(records.map((r) => `${archiveLine(r)}\n`).join(''));
}

function parseLine(line: string, where: string): ArchiveRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new InvalidEventError(`${where}: not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InvalidEventError(`${where}: not a JSON object`);
  const fields = value as Record<string, unknown>;
  for (const field of ARCHIVE_RECORD_FIELDS)
    if (typeof fields[field] !== 'string') throw new InvalidEventError(`${where}: "${field}" is not a string`);
  return Object.fromEntries(ARCHIVE_RECORD_FIELDS.map((f) => [f, fields[f]])) as unknown as ArchiveRecord;
}

/**
 * The records of an archive object. Throws {@link InvalidEventError} naming the line for an
 * object that is not gzip or a line that is not a record: a damaged object is reported, never
 * half read as if it were whole.
 */
export function decodeArchiveObject(bytes: Uint8Array, name = 'archive object'): ArchiveRecord[] {
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch {
    throw new InvalidEventError(`${name}: not gzip`);
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, i) => parseLine(line, `${name} line ${i + 1}`));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** `yyyy/mm/dd/hh/` of an instant, in UTC. */
export function archiveHourPath(at: Date): string {
  return `${at.getUTCFullYear()}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())}/${pad(at.getUTCHours())}/`;
}

/**
 * The key of the object holding a batch's records of one hour. The name is a digest of the
 * batch's SQS message ids, so a batch that SQS delivers again (a retry after a failed write)
 * overwrites its own object (a new version in a versioned bucket) instead of adding a copy.
 */
export function archiveObjectKey(prefix: string, hour: Date, sqsMessageIds: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...sqsMessageIds].sort().join('\n'))
    .digest('hex')
    .slice(0, 32);
  return `${prefix}${archiveHourPath(hour)}${digest}${ARCHIVE_OBJECT_SUFFIX}`;
}

const HOUR_MS = 3_600_000;

/**
 * The hour prefixes (`<prefix>yyyy/mm/dd/hh/`) that can hold records received in
 * [`since`, `until`): every hour from the one holding `since` to the one holding the last
 * millisecond before `until`. Empty when `until` is not after `since`.
 */
export function archiveHourPrefixes(prefix: string, since: Date, until: Date): string[] {
  const prefixes: string[] = [];
  if (until.getTime() <= since.getTime()) return prefixes;
  const first = Math.floor(since.getTime() / HOUR_MS) * HOUR_MS;
  for (let t = first; t < until.getTime(); t += HOUR_MS) prefixes.push(`${prefix}${archiveHourPath(new Date(t))}`);
  return prefixes;
}

/** Groups records by the hour of their `receivedAt` (records with an unreadable time go to `fallback`'s hour). */
export function groupByHour<T extends { readonly receivedAt: string }>(
  records: readonly T[],
  fallback: Date,
): Map<string, { hour: Date; records: T[] }> {
  const groups = new Map<string, { hour: Date; records: T[] }>();
  for (const record of records) {
    const parsed = new Date(record.receivedAt);
    const hour = Number.isNaN(parsed.getTime()) ? fallback : parsed;
    const path = archiveHourPath(hour);
    const group = groups.get(path) ?? { hour, records: [] };
    group.records.push(record);
    groups.set(path, group);
  }
  return groups;
}
