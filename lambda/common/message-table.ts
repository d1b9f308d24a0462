/**
 * The messages table's schema, shared by the construct that creates it, the consumer that
 * writes it and the CLI that queries it, so the three cannot drift apart. No AWS client here.
 */

/** Partition key of the table: the message id by the rule in docs/architecture.md. */
export const MESSAGE_ID_ATTRIBUTE = 'messageId';

/** TTL attribute (epoch seconds), written only when a retention is configured. */
export const EXPIRES_AT_ATTRIBUTE = 'expiresAt';

/**
 * Messages with one contact number (the other party), by the time of their current state.
 * Sparse: only items with a known contact number and time are in it.
 */
export const CONTACT_INDEX = { name: 'byContact', partitionKey: 'contactNumber', sortKey: 'occurredAt' } as const;

/**
 * Messages whose current status is a failure, by time. The partition key is one of
 * {@link FAILED_SHARD_COUNT} shards chosen by a hash of the message id, so a burst of failures
 * spreads over that many index partitions instead of landing on one. Readers query every shard.
 */
export const FAILED_INDEX = { name: 'failedByTime', partitionKey: 'failedShard', sortKey: 'occurredAt' } as const;

/** Shards of {@link FAILED_INDEX}. Changing it re-shards only items written afterwards: readers must query the union. */
export const FAILED_SHARD_COUNT = 16;

/**
 * Attributes copied into both indexes besides the keys: enough for a list view, without the
 * bulky `history`, `media` and bookkeeping attributes, so index writes and storage stay small.
 */
export const INDEX_PROJECTED_ATTRIBUTES: readonly string[] = [
  'status',
  'eventType',
  'direction',
  'fromNumber',
  'toNumber',
  'messageAppId',
  'text',
  'errorCode',
  'providerErrorCode',
  'providerErrorTitle',
  'carrierName',
];

/** 32-bit FNV-1a: stable across runtimes and releases, unlike anything keyed on process state. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function shardKey(n: number): string {
  return `failed#${String(n).padStart(2, '0')}`;
}

/** The failed-index shard of a message: always the same for one message id. */
export function failedShardOf(messageId: string): string {
  return shardKey(fnv1a(messageId) % FAILED_SHARD_COUNT);
}

/** Every shard key of {@link FAILED_INDEX}, for readers that query them all. */
export function allFailedShards(): string[] {
  return Array.from({ length: FAILED_SHARD_COUNT }, (_, i) => shardKey(i));
}
