import type { MessageAttributeValue, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';

/**
 * SendMessageBatch's limits, for everything that sends in batches (the consumer's archive
 * forward, `volt-webhooks replay`).
 */

/** SendMessageBatch takes at most 10 entries. */
export const MAX_BATCH_ENTRIES = 10;

/**
 * The payload one batch may total. SQS counts every body, attribute name, type and value of the
 * batch's entries. Its limit is 1 MiB today (1,048,576 bytes, for one message and for a batch's
 * total, since August 2025); 256 KiB was the limit before, and is still the default maximum
 * message size of many queues. A batch under 256 KiB is accepted whichever of the two applies,
 * and 10 ordinary deliveries (about 2 KB each with their attributes) fit with room to spare; a
 * delivery over it goes alone.
 */
export const MAX_BATCH_BYTES = 256 * 1024;

/** Id of a batch entry: 1 to 80 letters, digits, `-` or `_`, unique within the call. */
export const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** What SQS counts of some message attributes against the size limit: names, types and values (binary as bytes). */
export function attributeBytes(attributes: Readonly<Record<string, MessageAttributeValue>> | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? '') +
      Buffer.byteLength(value.StringValue ?? '') +
      (value.BinaryValue?.byteLength ?? 0);
  return bytes;
}

/** What SQS counts of an entry against the batch's size limit. */
export function entryBytes(entry: Pick<SendMessageBatchRequestEntry, 'MessageBody' | 'MessageAttributes'>): number {
  return Buffer.byteLength(entry.MessageBody ?? '') + attributeBytes(entry.MessageAttributes);
}

/**
 * Splits `items` in order into batches of at most {@link MAX_BATCH_ENTRIES} and, unless an item
 * alone is larger, {@link MAX_BATCH_BYTES}, `bytes` giving each item's size.
 */
export function toSqsBatches<T>(items: readonly T[], bytes: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = bytes(item);
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || total + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      total = 0;
    }
    current.push(item);
    total += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
