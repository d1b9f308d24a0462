import {
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueMessageAttributes } from '../../lambda/common/queue-message';
import { sqsMessageInput } from '../../lambda/ingest/targets/sqs';

/** One delivery to send again: the raw body and the attributes the ingest gave it. */
export interface Replayable {
  readonly body: string;
  readonly attributes: QueueMessageAttributes;
}

/** A delivery SQS did not take, after the retries. */
export interface FailedSend {
  readonly webhookId: string;
  readonly reason: string;
}

/** SendMessageBatch takes at most 10 entries. */
export const MAX_BATCH_ENTRIES = 10;

/**
 * The payload a batch may total: SQS counts every body, attribute name, type and value against
 * the queue's maximum message size for the whole batch. 256 KiB is the smallest maximum a queue
 * can have had (and the stand-in's), so a batch under it is accepted by every queue.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** Attempts for an entry SQS failed on its own side (`SenderFault` false), the first included. */
export const MAX_SEND_ATTEMPTS = 4;

/** The entry the ingest's live send would have made, for SendMessageBatch. */
export function batchEntry(id: string, item: Replayable): SendMessageBatchRequestEntry {
  // The ingest's own request builder: same body encoding rule, same attributes.
  const input = sqsMessageInput('', item.body, item.attributes);
  return {
    Id: id,
    MessageBody: input.MessageBody,
    ...(input.MessageAttributes ? { MessageAttributes: input.MessageAttributes } : {}),
  };
}

function attributeBytes(attributes: Record<string, MessageAttributeValue> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes ?? {}))
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
  return bytes;
}

/** What SQS counts of an entry against the batch's size limit. */
export function entryBytes(entry: SendMessageBatchRequestEntry): number {
  return Buffer.byteLength(entry.MessageBody ?? '') + attributeBytes(entry.MessageAttributes);
}

/** Splits items into batches of at most {@link MAX_BATCH_ENTRIES} entries and {@link MAX_BATCH_BYTES}. */
export function toBatches<T extends Replayable>(items: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entryBytes(batchEntry('0', item));
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one batch (from {@link toBatches}) to `queueUrl`. SendMessageBatch answers per entry:
 * entries SQS failed on its side are sent again (up to {@link MAX_SEND_ATTEMPTS} in all, with a
 * growing pause); entries it refused (`SenderFault`) are not, as sending them again cannot help.
 * A request that fails as a whole throws: nothing of it is known to be sent.
 */
export async function sendBatch(
  sqs: SQSClient,
  queueUrl: string,
  items: readonly Replayable[],
  options: { readonly retryDelayMs?: number } = {},
): Promise<{ sent: Replayable[]; failed: FailedSend[] }> {
  const sent: Replayable[] = [];
  const failed: FailedSend[] = [];
  let pending = items.map((item, i) => ({ id: String(i), item }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const result = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map((p) => batchEntry(p.id, p.item)) }),
    );
    const byId = new Map(pending.map((p) => [p.id, p]));
    for (const ok of result.Successful ?? []) {
      const entry = ok.Id === undefined ? undefined : byId.get(ok.Id);
      if (entry) sent.push(entry.item);
    }
    const retry: typeof pending = [];
    for (const bad of result.Failed ?? []) {
      const entry = bad.Id === undefined ? undefined : byId.get(bad.Id);
      if (!entry) continue;
      const reason = `${bad.Code ?? 'Failed'}${bad.Message ? `: ${bad.Message}` : ''}`;
      if (bad.SenderFault || attempt >= MAX_SEND_ATTEMPTS)
        failed.push({ webhookId: entry.item.attributes.webhookId, reason });
      else retry.push(entry);
    }
    pending = retry;
    if (pending.length > 0) await sleep((options.retryDelayMs ?? 200) * 2 ** (attempt - 1));
  }
  return { sent, failed };
}
