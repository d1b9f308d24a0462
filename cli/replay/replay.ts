import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { archiveHourPrefixes } from '../../lambda/common/archive-record';
import { readWindow, type ArchiveLocation, type UnreadableObject } from './archive-reader';
import type { ProgressRecord } from './progress';
import { sendBatch, toBatches, type FailedSend, type Replayable } from './sender';
import type { RecordChecker, RefusedRecord } from './verify';
import type { ReplayWindow } from './window';

/** SendMessageBatch requests in flight at once by default. */
export const DEFAULT_SEND_CONCURRENCY = 4;

export interface ReplayOptions {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly location: ArchiveLocation;
  readonly window: ReplayWindow;
  /** Where to send. */
  readonly queueUrl: string;
  readonly checker: RecordChecker;
  /** The progress record; required unless `dryRun`. */
  readonly progress?: ProgressRecord;
  /** Read and check everything, send nothing, record nothing. */
  readonly dryRun?: boolean;
  /** Called after each batch and each hour. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops the run between two batches (Ctrl-C): what was sent is recorded, the rest is left for a rerun. */
  readonly signal?: AbortSignal;
  /** Batches in flight at once. @default DEFAULT_SEND_CONCURRENCY */
  readonly concurrency?: number;
  /** The first pause before sending failed entries again. @default 200 */
  readonly retryDelayMs?: number;
  /** The value of the `replayed` attribute on every message sent (the replay's id). @default no attribute */
  readonly replayId?: string;
}

export interface ReplayProgress {
  readonly hoursDone: number;
  readonly hours: number;
  /** Sent in this run (with `dryRun`: would be sent). */
  readonly sent: number;
  readonly refused: number;
}

export interface ReplaySummary {
  readonly hours: number;
  readonly objects: number;
  /** Records of the window found in the archive, repeated deliveries and refused ones included. */
  readonly records: number;
  /** Verified records skipped because an earlier record of the run had the same webhook id (Volt delivered the event twice). */
  readonly duplicates: number;
  /** Verified records an earlier run of this replay had sent (from the progress record). */
  readonly alreadySent: number;
  /** Sent in this run; with `dryRun`, what would be sent. */
  readonly sent: number;
  /** `sent` by event type. */
  readonly sentByEventType: Readonly<Record<string, number>>;
  readonly refused: readonly RefusedRecord[];
  readonly unreadable: readonly UnreadableObject[];
  readonly failed: readonly FailedSend[];
  /** True when `signal` stopped the run before the end of the window. */
  readonly interrupted: boolean;
}

/**
 * Replays a window of the archive into one queue: reads it hour by hour, checks each record
 * (signature and fields, {@link RecordChecker}), keeps the first verified record of each
 * webhook id, skips what the progress record says an earlier run sent, and sends the rest in
 * batches with the ingest's own message format, recording each accepted batch. The window is
 * marked done when it was read to the end with nothing left unsent.
 */
export async function replayWindow(options: ReplayOptions): Promise<ReplaySummary> {
  const { window, progress, dryRun = false } = options;
  if (!dryRun && progress === undefined) throw new Error('a replay that sends needs a progress record');
  const hours = archiveHourPrefixes(options.location.prefix, window.since, window.until).length;
  const seen = new Set<string>();
  const refused: RefusedRecord[] = [];
  const unreadable: UnreadableObject[] = [];
  const failed: FailedSend[] = [];
  const sentByEventType: Record<string, number> = {};
  let objects = 0;
  let records = 0;
  let duplicates = 0;
  let alreadySent = 0;
  let sent = 0;
  let hoursDone = 0;
  let interrupted = false;
  const report = () => options.onProgress?.({ hoursDone, hours, sent, refused: refused.length });
  const count = (items: readonly Replayable[]) => {
    sent += items.length;
    for (const item of items)
      sentByEventType[item.attributes.eventType] = (sentByEventType[item.attributes.eventType] ?? 0) + 1;
  };

  for await (const hour of readWindow(options.s3, options.location, window)) {
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
    objects += hour.objects;
    records += hour.records.length;
    unreadable.push(...hour.unreadable);
    const toSend: Replayable[] = [];
    for (const record of hour.records) {
      const checked = await options.checker.check(record);
      if (!checked.ok) {
        refused.push(checked.refused);
        continue;
      }
      const { webhookId } = checked.attributes;
      if (seen.has(webhookId)) {
        duplicates += 1;
        continue;
      }
      seen.add(webhookId);
      if (progress?.sent.has(webhookId)) {
        alreadySent += 1;
        continue;
      }
      toSend.push(checked);
    }
    // A few batches in flight at once: one SendMessageBatch takes a round trip, and one at a
    // time would bound a replay to a few hundred messages a second. Each batch is recorded as
    // soon as it is accepted, so an interruption loses no more than the batches in flight.
    const batches = toBatches(toSend, options.replayId);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
        if (options.signal?.aborted) {
          interrupted = true;
          return;
        }
        if (dryRun) {
          count(batch);
        } else {
          const result = await sendBatch(options.sqs, options.queueUrl, batch, {
            ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
            ...(options.replayId !== undefined ? { replayId: options.replayId } : {}),
          });
          progress?.recordSent(result.sent.map((s) => s.attributes.webhookId));
          count(result.sent);
          failed.push(...result.failed);
        }
        report();
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? DEFAULT_SEND_CONCURRENCY, batches.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (interrupted) break;
    hoursDone += 1;
    report();
  }
  if (!dryRun && !interrupted && failed.length === 0 && unreadable.length === 0) progress?.complete(new Date());
  return {
    hours,
    objects,
    records,
    duplicates,
    alreadySent,
    sent,
    sentByEventType,
    refused,
    unreadable,
    failed,
    interrupted,
  };
}
