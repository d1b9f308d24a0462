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
export async function listHourObjects(s3: S3Client, location: ArchiveLocation, hourPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: location.bucket, Prefix: hourPrefix })) {
    for (const object of page.Contents ?? []) if (object.Key?.endsWith(ARCHIVE_OBJECT_SUFFIX)) keys.push(object.Key);
  }
  return keys.sort();
}

/** The records of one archive object; throws {@link InvalidEventError} for an object that is not one. */
export async function readArchiveObject(
  s3: S3Client,
  location: ArchiveLocation,
  key: string,
): Promise<ArchiveRecord[]> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }));
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
