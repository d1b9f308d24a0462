import type {
  MessageAttributeValue,
  SendMessageBatchCommandInput,
  SendMessageBatchRequestEntry,
  SendMessageBatchResultEntry,
  BatchResultErrorEntry,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { REPLAYED_ATTRIBUTE } from '../common/queue-message';
import { entryBytes, toSqsBatches } from '../common/sqs-batch';

/**
 * The consumer's forward of the deliveries it receives to the archive queue (docs/archive.md,
 * "Why the consumer forwards"): each state-queue record goes on to the archive queue as it
 * arrived, body and message attributes unchanged, in SendMessageBatch calls of up to 10. The
 * archiver then reads exactly what it read when the ingest sent to the archive queue itself.
 */

/** Sends one SendMessageBatch request (the handler passes its SQS client's `send`, so this file holds none). */
export type SendMessageBatch = (input: SendMessageBatchCommandInput) => Promise<{
  readonly Successful?: readonly SendMessageBatchResultEntry[] | undefined;
  readonly Failed?: readonly BatchResultErrorEntry[] | undefined;
}>;

/** The attributes the ingest puts on every delivery, which the archiver needs to write it. */
const DELIVERY_ATTRIBUTES = ['webhookId', 'messageId', 'eventType', 'receivedAt', 'signature'] as const;

/** A record not forwarded, and why. */
export interface SkippedRecord {
  readonly sqsMessageId: string;
  /**
   * `replayed`: sent by `volt-webhooks replay`, so its delivery is in the archive already.
   * `not-a-delivery`: it lacks the ingest's attributes, so something other than the ingest or
   * replay sent it; the archiver could not write it, and it is no verified delivery.
   */
  readonly reason: 'replayed' | 'not-a-delivery';
}

/** A record the archive queue did not take: reported failed, so SQS delivers it again. */
export interface ForwardFailure {
  readonly sqsMessageId: string;
  readonly webhookId?: string;
  /** The error's or the entry's code and message: SQS's words, never the body. */
  readonly reason: string;
}

export interface ForwardResult {
  /** Records the archive queue accepted. */
  readonly forwarded: number;
  readonly skipped: readonly SkippedRecord[];
  readonly failed: readonly ForwardFailure[];
  /** SendMessageBatch calls made. */
  readonly calls: number;
}

/** Why a record is not forwarded, or `undefined` when it is. */
export function skipReason(record: SQSRecord): SkippedRecord['reason'] | undefined {
  const attributes = record.messageAttributes ?? {};
  if (attributes[REPLAYED_ATTRIBUTE] !== undefined) return 'replayed';
  for (const name of DELIVERY_ATTRIBUTES) {
    const value = attributes[name]?.stringValue;
    if (value === undefined || value === '') return 'not-a-delivery';
  }
  return undefined;
}

/**
 * The record's message attributes as SendMessageBatch takes them: every attribute, its type
 * kept (custom labels too, `String.x`), a String or Number value as the same text and a Binary
 * value as the bytes Lambda's event gave in base64.
 */
export function forwardAttributes(record: SQSRecord): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    const dataType = value.dataType;
    if (dataType.startsWith('Binary')) {
      result[name] = { DataType: dataType, BinaryValue: Buffer.from(value.binaryValue ?? '', 'base64') };
    } else {
      result[name] = { DataType: dataType, StringValue: value.stringValue ?? '' };
    }
  }
  return result;
}

/**
 * The entry for one record. The id is the record's index in its call, not its SQS message id:
 * entry ids may hold only letters, digits, `-` and `_` (80 at most), and a message id is not
 * promised to keep to that.
 */
export function forwardEntry(id: string, record: SQSRecord): SendMessageBatchRequestEntry {
  const attributes = forwardAttributes(record);
  return {
    Id: id,
    MessageBody: record.body,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function failureOf(record: SQSRecord, reason: string): ForwardFailure {
  const webhookId = record.messageAttributes?.['webhookId']?.stringValue;
  return { sqsMessageId: record.messageId, reason, ...(webhookId ? { webhookId } : {}) };
}

/**
 * Forwards `records` to `queueUrl`: the ones {@link skipReason} keeps out are skipped, the rest
 * are split into calls of at most 10 entries and the batch payload limit (`lambda/common/sqs-batch.ts`),
 * sent in parallel. Never throws: a call that failed as a whole fails each of its records, an
 * entry in `Failed` (or in neither list) fails its record, and the caller reports the failures
 * so that SQS delivers those records again.
 */
export async function forwardToArchive(
  records: readonly SQSRecord[],
  options: { readonly queueUrl: string; readonly send: SendMessageBatch },
): Promise<ForwardResult> {
  const skipped: SkippedRecord[] = [];
  const toSend: { readonly record: SQSRecord; readonly entry: SendMessageBatchRequestEntry }[] = [];
  for (const record of records) {
    const reason = skipReason(record);
    if (reason !== undefined) skipped.push({ sqsMessageId: record.messageId, reason });
    else toSend.push({ record, entry: forwardEntry('0', record) });
  }
  const calls = toSqsBatches(toSend, (item) => entryBytes(item.entry));
  const failed: ForwardFailure[] = [];
  let forwarded = 0;
  await Promise.all(
    calls.map(async (call) => {
      const entries = call.map(({ entry }, i) => ({ ...entry, Id: String(i) }));
      try {
        const result = await options.send({ QueueUrl: options.queueUrl, Entries: entries });
        const accepted = new Set((result.Successful ?? []).map((e) => e.Id));
        const refused = new Map((result.Failed ?? []).map((e) => [e.Id, e] as const));
        call.forEach(({ record }, i) => {
          const id = String(i);
          const failure = refused.get(id);
          if (failure) failed.push(failureOf(record, `${failure.Code ?? 'Failed'}: ${failure.Message ?? ''}`.trim()));
          else if (!accepted.has(id)) failed.push(failureOf(record, 'not in the answer of SendMessageBatch'));
          else forwarded += 1;
        });
      } catch (err: unknown) {
        const reason = describe(err);
        for (const { record } of call) failed.push(failureOf(record, reason));
      }
    }),
  );
  return { forwarded, skipped, failed, calls: calls.length };
}
