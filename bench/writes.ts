import {
  CreateTableCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { createRecordProcessor } from '../lambda/consumer/consumer';
import { messageTableDefinition, startDynalite } from '../test/helpers/dynalite';
import type { Stream } from './events';

/**
 * DynamoDB writes per event: the consumer's record processor (what the handler runs per record)
 * applies a realistic stream to dynalite; UpdateItem requests are counted at the server, so
 * anything the SDK retried counts too. Also collects what a bill needs: which writes changed
 * state (index writes) and how large items get (write units).
 *
 * dynalite runs with the stand-in's emulation of `ReturnValuesOnConditionCheckFailure`
 * (`local/dynalite.ts`), as DynamoDB answers: without it every duplicate would cost the
 * consumer a second, refused write that DynamoDB spares it. The run checks that first.
 */

export interface WritesResult {
  readonly events: number;
  readonly distinct: number;
  readonly updateItemRequests: number;
  readonly perEvent: number;
  readonly perDistinctEvent: number;
  readonly effects: Readonly<Record<string, number>>;
  /** Events by effect and the requests each cost, e.g. `none/1`: a duplicate seen in the refused write's item. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Index writes estimated from each write's effect (see docs/performance.md). */
  readonly indexWrites: number;
  /** Write units of the base table, from item sizes after the run (an upper bound per write). */
  readonly tableWriteUnits: number;
  readonly maxItemBytes: number;
  readonly mismatches: readonly string[];
}

/** DynamoDB's item size: attribute names plus values, UTF-8. */
function attributeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + attributeBytes(v), 0);
  if (value.M)
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + attributeBytes(v), 0);
  if (value.SS) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  return 0;
}

export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k) + attributeBytes(v), 0);
}

/** Throws unless a refused UpdateItem with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` returns the item, as DynamoDB's does. */
async function expectRefusedItems(client: DynamoDBClient, tableName: string): Promise<void> {
  const Key = { messageId: { S: 'bench-emulation-check' } };
  await client.send(new PutItemCommand({ TableName: tableName, Item: Key }));
  const err: unknown = await client
    .send(
      new UpdateItemCommand({
        TableName: tableName,
        Key,
        UpdateExpression: 'SET #t = :t',
        ConditionExpression: 'attribute_not_exists(messageId)',
        ExpressionAttributeNames: { '#t': 'text' },
        ExpressionAttributeValues: { ':t': { S: 'x' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  if ((err as { Item?: unknown } | undefined)?.Item === undefined) {
    throw new Error(
      'writes: the DynamoDB stand-in does not return the item of a refused write (ReturnValuesOnConditionCheckFailure); the count would not be what DynamoDB bills',
    );
  }
}

export async function measureWrites(stream: Stream): Promise<WritesResult> {
  const dynamo = await startDynalite();
  try {
    const tableName = 'bench-messages';
    await dynamo.client.send(new CreateTableCommand({ ...messageTableDefinition(), TableName: tableName }));
    await expectRefusedItems(dynamo.client, tableName);
    const requestsBefore = dynamo.requests('UpdateItem');
    const processRecord = createRecordProcessor({ tableName }, (params) =>
      dynamo.client.send(new UpdateItemCommand(params)),
    );
    const effects: Record<string, number> = {};
    const outcomes: Record<string, number> = {};
    const stateWrites = new Map<string, number>();
    let indexWrites = 0;
    for (const e of stream.events) {
      const outcome = await processRecord({ body: e.body });
      effects[outcome.effect] = (effects[outcome.effect] ?? 0) + 1;
      outcomes[`${outcome.effect}/${outcome.writes}`] = (outcomes[`${outcome.effect}/${outcome.writes}`] ?? 0) + 1;
      if (outcome.effect === 'state') {
        const before = stateWrites.get(e.messageId) ?? 0;
        stateWrites.set(e.messageId, before + 1);
        // The contact index: a put on the first state, a delete and a put when its sort key (occurredAt) moves.
        indexWrites += before === 0 ? 1 : 2;
        // The sparse failed index: a put when the new state is a failure (upper bound: counted as 2 when it replaces one).
        if (/fail/.test(outcome.event.status ?? '')) indexWrites += before === 0 ? 1 : 2;
      }
    }
    const updateItemRequests = dynamo.requests('UpdateItem') - requestsBefore;
    const mismatches: string[] = [];
    let tableWriteUnits = 0;
    let maxItemBytes = 0;
    const writesPerMessage = new Map<string, number>();
    for (const e of stream.events) writesPerMessage.set(e.messageId, (writesPerMessage.get(e.messageId) ?? 0) + 1);
    for (const [id, want] of stream.expected) {
      const out = await dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: { messageId: { S: id } } }));
      const item = out.Item;
      if (!item) {
        mismatches.push(`${id}: no item`);
        continue;
      }
      if (item['status']?.S !== want.status)
        mismatches.push(`${id}: status ${item['status']?.S} instead of ${want.status}`);
      const bytes = itemBytes(item);
      maxItemBytes = Math.max(maxItemBytes, bytes);
      tableWriteUnits += Math.ceil(bytes / 1024) * (writesPerMessage.get(id) ?? 0);
    }
    // Second writes of stale events are not in writesPerMessage; bill them at the largest item size.
    tableWriteUnits += (updateItemRequests - stream.events.length) * Math.ceil(maxItemBytes / 1024);
    return {
      events: stream.events.length,
      distinct: stream.distinct,
      updateItemRequests,
      perEvent: updateItemRequests / stream.events.length,
      perDistinctEvent: updateItemRequests / stream.distinct,
      effects,
      outcomes,
      indexWrites,
      tableWriteUnits,
      maxItemBytes,
      mismatches,
    };
  } finally {
    await dynamo.close();
  }
}
