import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { archiveObjectKey, encodeArchiveObject, groupByHour, type ArchiveRecord } from '../common/archive-record';
import { InvalidEventError } from '../common/errors';
import { BODY_ENCODING_ATTRIBUTE, decodeQueueBody } from '../common/queue-message';

/**
 * The archiver's work on one batch of the archive queue: each message back to the delivery the
 * ingest verified (its raw body decoded from the queue encoding, its attributes), grouped by
 * receive hour, one gzipped NDJSON object per hour (`lambda/common/archive-record.ts`). An object
 * that could not be written fails its messages alone, which SQS delivers again (and moves to the
 * DLQ after `maxReceiveCount`); a message that cannot be read fails alone the same way, so an
 * operator finds it in the DLQ rather than losing it.
 */

/** Writes one object; rejects when S3 did not store it. */
export type PutObject = (input: {
  readonly key: string;
  readonly body: Buffer;
  /** Base64 MD5 of `body`: S3 refuses a body that arrives different (`BadDigest`). */
  readonly contentMd5: string;
}) => Promise<unknown>;

export interface ArchiveBatchOptions {
  readonly prefix: string;
  readonly putObject: PutObject;
  /** Used for the hour of a record whose `receivedAt` does not parse. */
  readonly now?: Date;
}

export interface WrittenObject {
  readonly key: string;
  readonly records: number;
  readonly bytes: number;
}

export interface FailedMessage {
  /** The SQS message id, for the batch response. */
  readonly sqsMessageId: string;
  readonly reason: string;
  readonly webhookId?: string;
}

export interface ArchiveBatchResult {
  readonly written: readonly WrittenObject[];
  readonly failed: readonly FailedMessage[];
}

const ATTRIBUTES = ['webhookId', 'messageId', 'eventType', 'receivedAt', 'signature'] as const;

/** The delivery a queue message carries. Throws {@link InvalidEventError} for one the ingest could not have sent. */
export function archiveRecordOf(message: SQSRecord): ArchiveRecord {
  const attribute = (name: string) => message.messageAttributes?.[name]?.stringValue;
  const values: Record<string, string> = {};
  for (const name of ATTRIBUTES) {
    const value = attribute(name);
    if (value === undefined || value === '') throw new InvalidEventError(`attribute ${name} is missing`);
    values[name] = value;
  }
  return {
    webhookId: values['webhookId'] ?? '',
    messageId: values['messageId'] ?? '',
    eventType: values['eventType'] ?? '',
    receivedAt: values['receivedAt'] ?? '',
    signature: values['signature'] ?? '',
    body: decodeQueueBody(message.body, attribute(BODY_ENCODING_ATTRIBUTE)),
  };
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Archives one batch; never throws: what failed is in `failed`, for a partial batch response. */
export async function archiveBatch(
  messages: readonly SQSRecord[],
  options: ArchiveBatchOptions,
): Promise<ArchiveBatchResult> {
  const failed: FailedMessage[] = [];
  const readable: (ArchiveRecord & { sqsMessageId: string })[] = [];
  for (const message of messages) {
    try {
      readable.push({ ...archiveRecordOf(message), sqsMessageId: message.messageId });
    } catch (err: unknown) {
      const webhookId = message.messageAttributes?.['webhookId']?.stringValue;
      failed.push({ sqsMessageId: message.messageId, reason: reasonOf(err), ...(webhookId ? { webhookId } : {}) });
    }
  }
  const groups = [...groupByHour(readable, options.now ?? new Date()).values()];
  const written: WrittenObject[] = [];
  // Hours are written in parallel: a batch spans one or two hours, rarely more.
  await Promise.all(
    groups.map(async ({ hour, records }) => {
      const key = archiveObjectKey(
        options.prefix,
        hour,
        records.map((r) => r.sqsMessageId),
      );
      const body = encodeArchiveObject(records.map(({ sqsMessageId: _id, ...record }) => record));
      try {
        await options.putObject({ key, body, contentMd5: createHash('md5').update(body).digest('base64') });
        written.push({ key, records: records.length, bytes: body.length });
      } catch (err: unknown) {
        const reason = reasonOf(err);
        for (const r of records) failed.push({ sqsMessageId: r.sqsMessageId, reason, webhookId: r.webhookId });
      }
    }),
  );
  return { written, failed };
}
