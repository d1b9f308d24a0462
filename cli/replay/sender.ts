import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { REPLAYED_ATTRIBUTE, type QueueMessageAttributes } from '../../lambda/common/queue-message';
import { entryBytes, toSqsBatches } from '../../lambda/common/sqs-batch';
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

export { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, entryBytes } from '../../lambda/common/sqs-batch';

/** Attempts for an entry SQS failed on its own side (`SenderFault` false), the first included. */
export const MAX_SEND_ATTEMPTS = 4;

/**
 * The entry the ingest's live send would have made, for SendMessageBatch, marked with the
 * `replayed` attribute (valued `replayId`) when given: the consumer does not forward a marked
 * message to the archive, which holds its delivery already.
 */
export function batchEntry(id: string, item: Replayable, replayId?: string): SendMessageBatchRequestEntry {
  // The ingest's own request builder: same body encoding rule, same attributes.
  const input = sqsMessageInput('', item.body, item.attributes);
  const attributes = {
    ...input.MessageAttributes,
    ...(replayId !== undefined ? { [REPLAYED_ATTRIBUTE]: { DataType: 'String', StringValue: replayId } } : {}),
  };
  return {
    Id: id,
    MessageBody: input.MessageBody,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
  };
}

/** Splits items into batches of at most `MAX_BATCH_ENTRIES` entries and `MAX_BATCH_BYTES`. */
export function toBatches<T extends Replayable>(items: readonly T[], replayId?: string): T[][] {
  return toSqsBatches(items, (item) => entryBytes(batchEntry('0', item, replayId)));
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
  options: { readonly retryDelayMs?: number; readonly replayId?: string } = {},
): Promise<{ sent: Replayable[]; failed: FailedSend[] }> {
  const sent: Replayable[] = [];
  const failed: FailedSend[] = [];
  let pending = items.map((item, i) => ({ id: String(i), item }));
  for (let attempt = 1; pending.length > 0; attempt++) {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: pending.map((p) => batchEntry(p.id, p.item, options.replayId)),
      }),
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
