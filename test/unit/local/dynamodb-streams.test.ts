import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient as Client,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRecordProcessor } from '../../../lambda/consumer/consumer';
import { parseMessageEvent } from '../../../lambda/consumer/event';
import { stateKeyOf } from '../../../lambda/consumer/state-rules';
import { statusChangeOf } from '../../../lambda/publisher/transition';
import { createDynaliteServer } from '../../../local/dynalite';
import { DynamoDbStreams, type TableStream } from '../../../local/dynamodb-streams';
import { firstFailedIndex } from '../../../local/stream-event-source';
import { createMessageTable, messageTableDefinition } from '../../helpers/dynalite';
import { eventBody } from '../../helpers/message-events';

// The DynamoDB stand-in's streams (local/dynamodb-streams.ts, fed by local/dynalite.ts): one
// record per write that changed an item, with DynamoDB's images; and, through them, which of
// the consumer's writes the publisher makes status events of.

let server: Server;
let client: Client;
let streams: DynamoDbStreams;
let counter = 0;

beforeAll(async () => {
  streams = new DynamoDbStreams('us-east-1');
  server = createDynaliteServer({ onWrite: streams.recordWrite });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  // Synthesizes the table's shape once (the CDK construct), before any test's clock runs.
  messageTableDefinition();
}, 60_000);

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function tableWithStream(view: 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' = 'NEW_AND_OLD_IMAGES') {
  const name = await createMessageTable(client, `streams-${++counter}`);
  return { name, stream: streams.enable(name, `arn:aws:dynamodb:us-east-1:0:table/${name}/stream/local`, view) };
}

const all = (stream: TableStream) => stream.read(0, 10_000);

describe('DynamoDB stand-in streams', () => {
  it('record an insert, a change with both images, and a removal, in order, with growing sequence numbers', async () => {
    const { name, stream } = await tableWithStream();
    const Key = { messageId: { S: 'm1' } };
    await client.send(new PutItemCommand({ TableName: name, Item: { ...Key, status: { S: 'sent' } } }));
    await client.send(
      new UpdateItemCommand({
        TableName: name,
        Key,
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'delivered' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: name, Key }));
    const records = all(stream);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(records[1]!.dynamodb).toMatchObject({
      Keys: Key,
      OldImage: { ...Key, status: { S: 'sent' } },
      NewImage: { ...Key, status: { S: 'delivered' } },
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
    expect(records[0]!.dynamodb?.OldImage).toBeUndefined();
    expect(records[2]!.dynamodb?.NewImage).toBeUndefined();
    const sequence = records.map((r) => r.dynamodb?.SequenceNumber ?? '');
    expect([...sequence].sort()).toEqual(sequence);
    expect(new Set(records.map((r) => r.eventID)).size).toBe(3);
    expect(records.every((r) => r.eventSourceARN === stream.streamArn && r.eventSource === 'aws:dynamodb')).toBe(true);
  });

  it('record nothing for a refused condition, a write that changes nothing, or deleting a missing item', async () => {
    const { name, stream } = await tableWithStream();
    const Key = { messageId: { S: 'm2' } };
    await client.send(new PutItemCommand({ TableName: name, Item: { ...Key, status: { S: 'sent' } } }));
    await expect(
      client.send(
        new PutItemCommand({
          TableName: name,
          Item: { ...Key, status: { S: 'x' } },
          ConditionExpression: 'attribute_not_exists(messageId)',
        }),
      ),
    ).rejects.toThrow(/conditional request failed/i);
    await client.send(new PutItemCommand({ TableName: name, Item: { ...Key, status: { S: 'sent' } } }));
    await client.send(new DeleteItemCommand({ TableName: name, Key: { messageId: { S: 'missing' } } }));
    expect(all(stream).map((r) => r.eventName)).toEqual(['INSERT']);
  });

  it('hold only the keys with KEYS_ONLY, and nothing for a table without a stream', async () => {
    const { name, stream } = await tableWithStream('KEYS_ONLY');
    await client.send(new PutItemCommand({ TableName: name, Item: { messageId: { S: 'm3' }, a: { S: 'b' } } }));
    expect(all(stream)[0]!.dynamodb).toEqual(
      expect.objectContaining({ Keys: { messageId: { S: 'm3' } }, StreamViewType: 'KEYS_ONLY' }),
    );
    expect(all(stream)[0]!.dynamodb?.NewImage).toBeUndefined();
    const plain = await createMessageTable(client, `streams-${++counter}`);
    await client.send(new PutItemCommand({ TableName: plain, Item: { messageId: { S: 'm4' } } }));
    expect(streams.byArn(`arn:aws:dynamodb:us-east-1:0:table/${plain}/stream/local`)).toBeUndefined();
  });

  it('wake a reader waiting at the end when a record arrives', async () => {
    const { name, stream } = await tableWithStream();
    const waiting = stream.waitFor(0, new AbortController().signal);
    await client.send(new PutItemCommand({ TableName: name, Item: { messageId: { S: 'm5' } } }));
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('firstFailedIndex (a stream batch response, as Lambda reads it)', () => {
  const batch = ['1', '2', '3'].map((n) => ({ dynamodb: { SequenceNumber: n } }) as DynamoDBRecord);
  it('checkpoints the whole batch without failures, and up to the lowest failed record with them', () => {
    expect(firstFailedIndex(undefined, batch)).toBe(3);
    expect(firstFailedIndex({ batchItemFailures: [] }, batch)).toBe(3);
    expect(firstFailedIndex({ batchItemFailures: [{ itemIdentifier: '3' }, { itemIdentifier: '2' }] }, batch)).toBe(1);
  });

  it('fails the whole batch on a malformed report or a record not in the batch', () => {
    expect(firstFailedIndex({ batchItemFailures: 'x' }, batch)).toBeUndefined();
    expect(firstFailedIndex({ batchItemFailures: [{ itemIdentifier: '9' }] }, batch)).toBeUndefined();
    expect(firstFailedIndex({ batchItemFailures: [{ itemIdentifier: '' }] }, batch)).toBeUndefined();
  });
});

/** DynamoDB compares strings by UTF-8 bytes. */
const above = (a: string, b: string | undefined) =>
  b === undefined || Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) > 0;

describe('property: the consumer’s writes, read from the stream, make one event per status change', () => {
  it('for any sequence of one message’s events, with duplicates and stale ones, in any order', async () => {
    const { name, stream } = await tableWithStream();
    const consume = createRecordProcessor(
      { tableName: name },
      (p) => client.send(new UpdateItemCommand(p)),
      () => new Date('2026-03-01T00:00:00.000Z'),
    );
    const T = (second: number) => `2026-02-01T10:00:0${second}.000Z`;
    let messages = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .uniqueArray(
            fc.record({
              webhookId: fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), minLength: 1, maxLength: 3 }),
              eventType: fc.constantFrom('message.sent', 'message.finalized', 'message.bounced'),
              status: fc.constantFrom('sent', 'delivered', 'failed', 'queued', null),
              occurredAt: fc.constantFrom(T(1), T(2), T(3)),
            }),
            { minLength: 1, maxLength: 7, selector: (e) => e.webhookId },
          )
          .chain((events) =>
            fc.tuple(
              fc.constant(events),
              fc.array(fc.nat(events.length - 1), { maxLength: 5 }).chain((dups) => {
                const order = [...events.keys(), ...dups];
                return fc.shuffledSubarray(order, { minLength: order.length, maxLength: order.length });
              }),
            ),
          ),
        async ([specs, order]) => {
          const messageId = `rf_prop_${++messages}`;
          const from = stream.end;
          const bodies = specs.map((spec) => eventBody({ ...spec, messageId }));
          // The model: the winner moves to a new event with a higher state key; a change is a winner
          // with a status other than the previous winner's.
          const expected: [string, string, string | undefined][] = [];
          const applied = new Set<string>();
          let key: string | undefined;
          let status: string | undefined;
          for (const i of order) {
            const body = bodies[i]!;
            await consume({ body });
            const event = parseMessageEvent(body);
            const eventKey = stateKeyOf(event);
            const fresh = !applied.has(event.webhookId);
            applied.add(event.webhookId);
            if (!fresh || eventKey === undefined || !above(eventKey, key)) continue;
            if (event.status !== undefined && event.status !== status)
              expected.push([event.webhookId, event.status, status]);
            key = eventKey;
            status = event.status;
          }
          const emitted = stream
            .read(from, 10_000)
            .map((record) => statusChangeOf(record)?.detail)
            .filter((d) => d !== undefined)
            .map((d) => [d.webhookId, d.status, d.previousStatus]);
          expect(emitted).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
