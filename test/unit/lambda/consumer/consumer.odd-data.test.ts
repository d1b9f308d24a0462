import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../../cli/main';
import { createRecordProcessor, type RecordOutcome } from '../../../../lambda/consumer/consumer';
import {
  MAX_BYTES,
  MAX_CLOCK_SKEW_MS,
  MAX_MEDIA_ITEMS,
  MAX_TEXT_UNITS,
  parseMessageEvent,
} from '../../../../lambda/consumer/event';
import {
  HISTORY_DROPPED_ATTRIBUTE,
  HISTORY_LIMIT,
  planWrites,
  STATE_HISTORY_LIMIT,
  type UpdateItemParams,
} from '../../../../lambda/consumer/state-rules';
import { MAX_ID_LENGTH } from '../../../../lambda/common/envelope';
import { CONTACT_INDEX, FAILED_INDEX, failedShardOf } from '../../../../lambda/common/message-table';
import {
  attributeValueSize,
  dynamoDbItemSize,
  MAX_ITEM_BYTES,
  MAX_PARTITION_KEY_BYTES,
  MAX_SORT_KEY_BYTES,
} from '../../../../local/dynalite';
import { createMessageTable, startDynalite, type DynamoStandIn } from '../../../helpers/dynalite';
import { eventBody } from '../../../helpers/message-events';

// The state rules under odd but correctly signed data (docs/message-state.md, "Odd data" and
// "Size bounds"), against the DynamoDB stand-in, which counts sizes as DynamoDB does.

let db: DynamoStandIn;
let tableName: string;

beforeAll(async () => {
  db = await startDynalite();
  tableName = await createMessageTable(db.client);
}, 30_000);
afterAll(async () => db.close());

let counter = 0;
const newMessageId = () => `rf_odd_${++counter}`;
const NOW = new Date('2026-06-01T12:00:00.000Z');

/** A consumer whose records carry the ingest's `receivedAt` attribute. */
function consumer(now: Date = NOW, retentionDays?: number) {
  const apply = createRecordProcessor(
    { tableName, ...(retentionDays !== undefined ? { retentionDays } : {}) },
    (p) => db.client.send(new UpdateItemCommand(p)),
    () => now,
  );
  return (body: string, receivedAt: Date = now) =>
    apply({ body, messageAttributes: { receivedAt: { stringValue: receivedAt.toISOString() } } });
}

/** Delivers in order; each outcome with the UpdateItem requests it cost at the stand-in. */
async function deliver(
  bodies: readonly string[],
  apply = consumer(),
): Promise<(RecordOutcome & { requests: number })[]> {
  const results = [];
  for (const body of bodies) {
    const before = db.requests('UpdateItem');
    const outcome = await apply(body);
    results.push({ ...outcome, requests: db.requests('UpdateItem') - before });
  }
  return results;
}

async function getItem(messageId: string): Promise<Record<string, AttributeValue> | undefined> {
  return (
    await db.client.send(
      new GetItemCommand({ TableName: tableName, Key: { messageId: { S: messageId } }, ConsistentRead: true }),
    )
  ).Item;
}

const historyIds = (item: Record<string, AttributeValue> | undefined) =>
  (item?.history?.L ?? []).map((e) => e.M?.webhookId?.S);
const second = (n: number) => new Date(Date.UTC(2026, 4, 1, 0, 0, 0) + n * 1000).toISOString();

/** The error a send rejected with (the test fails if it resolved). */
async function rejection(send: Promise<unknown>): Promise<Error> {
  const err: unknown = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe('the stand-in counts sizes as DynamoDB does', () => {
  it("computes an item's size by the developer guide's rules (UTF-8 names and strings, 3 + 1 per element)", () => {
    expect(dynamoDbItemSize({ a: { S: '€' } })).toBe(1 + 3);
    expect(dynamoDbItemSize({ ñ: { S: '' } })).toBe(2);
    // 123.4500: five significant digits, three bytes, plus one.
    expect(dynamoDbItemSize({ num: { N: '123.4500' } })).toBe(3 + 4);
    expect(dynamoDbItemSize({ n: { N: '0' }, big: { N: '1000000' } })).toBe(1 + 1 + 3 + 2);
    expect(dynamoDbItemSize({ b: { BOOL: true }, z: { NULL: true } })).toBe(1 + 1 + 1 + 1);
    expect(dynamoDbItemSize({ bin: { B: Buffer.from([1, 2, 3, 4, 5]).toString('base64') } })).toBe(3 + 5);
    expect(dynamoDbItemSize({ l: { L: [{ S: 'ab' }, { N: '7' }] } })).toBe(1 + 3 + (1 + 2) + (1 + 2));
    expect(dynamoDbItemSize({ m: { M: { k: { S: 'v' } } } })).toBe(1 + 3 + 1 + (1 + 1));
    expect(dynamoDbItemSize({ ss: { SS: ['a', '€'] } })).toBe(2 + 1 + 3);
    expect(attributeValueSize({ S: '😀' })).toBe(4);
  });

  it('refuses an item over 400 KB counted in UTF-8 bytes, as DynamoDB does (dynalite alone counts code units)', async () => {
    const id = newMessageId();
    const room = MAX_ITEM_BYTES - dynamoDbItemSize({ messageId: { S: id } }) - Buffer.byteLength('text');
    const fill = (extra: number) => '中'.repeat(Math.floor(room / 3)) + 'a'.repeat((room % 3) + extra);
    const update = (text: string) =>
      db.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { messageId: { S: id } },
          UpdateExpression: 'SET #t = :t',
          ExpressionAttributeNames: { '#t': 'text' },
          ExpressionAttributeValues: { ':t': { S: text } },
        }),
      );
    // About 136,500 code units: far under 400 KB for dynalite's own count.
    const over = await rejection(update(fill(1)));
    expect([over.name, over.message]).toEqual([
      'ValidationException',
      'Item size to update has exceeded the maximum allowed size',
    ]);
    expect(await getItem(id)).toBeUndefined();
    await update(fill(0));
    expect(dynamoDbItemSize((await getItem(id))!)).toBe(MAX_ITEM_BYTES);
    const put = await rejection(
      db.client.send(
        new PutItemCommand({ TableName: tableName, Item: { messageId: { S: id }, text: { S: fill(1) } } }),
      ),
    );
    expect(put.message).toBe('Item size has exceeded the maximum allowed size');
  });

  it('refuses an index key over its limit with DynamoDB’s message, and stores nothing', async () => {
    const id = newMessageId();
    const item = (contactNumber: string, occurredAt: string) => ({
      messageId: { S: id },
      contactNumber: { S: contactNumber },
      occurredAt: { S: occurredAt },
    });
    const put = (i: Record<string, AttributeValue>) =>
      db.client.send(new PutItemCommand({ TableName: tableName, Item: i }));
    // 683 × 3 = 2049 bytes in 683 code units.
    const hashErr = await rejection(put(item('中'.repeat(683), second(0))));
    expect([hashErr.name, hashErr.message]).toEqual([
      'ValidationException',
      'One or more parameter values were invalid: Size limit exceeded for Index Key contactNumber ' +
        `Actual Size: 2049 bytes Max Size: ${MAX_PARTITION_KEY_BYTES} bytes IndexName: ${CONTACT_INDEX.name}`,
    ]);
    const rangeErr = await rejection(put(item('+15555550100', '中'.repeat(342))));
    expect(rangeErr.message).toBe(
      'One or more parameter values were invalid: Size limit exceeded for Index Key occurredAt ' +
        `Actual Size: 1026 bytes Max Size: ${MAX_SORT_KEY_BYTES} bytes IndexName: ${CONTACT_INDEX.name}`,
    );
    expect(await getItem(id)).toBeUndefined();
    // Without the partition key the item is in no index: its sort key is not an index key then.
    await put({ messageId: { S: id }, occurredAt: { S: '中'.repeat(342) } });
    // At the limit exactly: stored, and found through the index.
    const atLimit = `${'中'.repeat(682)}aa`;
    await put(item(atLimit, second(0)));
    const found = await db.client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: CONTACT_INDEX.name,
        KeyConditionExpression: 'contactNumber = :c',
        ExpressionAttributeValues: { ':c': { S: atLimit } },
      }),
    );
    expect(found.Items?.map((i) => i.messageId?.S)).toEqual([id]);
  });

  it('refuses a table key over 2,048 UTF-8 bytes, as DynamoDB does', async () => {
    const err = await rejection(
      db.client.send(new GetItemCommand({ TableName: tableName, Key: { messageId: { S: '中'.repeat(683) } } })),
    );
    expect(err.message).toBe(
      'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
    );
  });
});

describe('history at its limit', () => {
  it(`still applies a newer final status once history holds ${STATE_HISTORY_LIMIT}, and counts what it left out`, async () => {
    const id = newMessageId();
    // 100 states in a row: each a new `sent`, a second later than the last.
    const sent = Array.from({ length: STATE_HISTORY_LIMIT }, (_, i) =>
      eventBody({
        webhookId: `s${i}`,
        messageId: id,
        eventType: 'message.sent',
        status: 'sent',
        occurredAt: second(i),
      }),
    );
    const filling = await deliver(sent);
    expect(filling.map((r) => [r.effect, r.requests])).toEqual(sent.map(() => ['state', 1]));
    const finalized = (webhookId: string, status: string, at: number) =>
      eventBody({ webhookId, messageId: id, eventType: 'message.finalized', status, occurredAt: second(at) });
    const stale = eventBody({ webhookId: 'late', messageId: id, eventType: 'message.sent', occurredAt: second(0) });

    const results = await deliver([
      finalized('fin', 'delivered', 500),
      finalized('fin', 'delivered', 500), // a redelivery
      stale,
      finalized('fin2', 'failed', 600),
    ]);
    expect(results.map((r) => [r.effect, r.requests, r.historyDropped])).toEqual([
      ['state', 2, true], // refused state write, then the state without its entry
      ['none', 1, false], // its stateKey is the current one: a duplicate
      ['none', 1, true], // stale on a full history: left out
      ['state', 2, true],
    ]);
    const item = await getItem(id);
    expect(item?.status?.S).toBe('failed');
    expect(item?.eventType?.S).toBe('message.finalized');
    expect(item?.failedShard?.S).toBe(failedShardOf(id));
    expect(item?.[HISTORY_DROPPED_ATTRIBUTE]).toEqual({ N: '2' });
    expect(item?.history?.L).toHaveLength(STATE_HISTORY_LIMIT);
    // Neither list grew; they still hold the same ids.
    expect(new Set(item?.appliedIds?.SS)).toEqual(new Set(historyIds(item)));

    // Where an operator sees it: `volt-webhooks history`.
    const dir = mkdtempSync(path.join(tmpdir(), 'odd-data-'));
    try {
      const stackFile = path.join(dir, 'stack.json');
      writeFileSync(stackFile, JSON.stringify({ region: 'us-east-1', dynamodbEndpoint: db.endpoint, tableName }));
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
      expect(await main(['history', id, '--local-file', stackFile], io)).toBe(0);
      expect(out.join('\n')).toMatch(/at or over its limit of 50: later stale or unknown-type events are not recorded/);
      expect(out.join('\n')).toMatch(
        /\(2 later status changes were applied without a history entry: the history was full at 100\)/,
      );
      out.length = 0;
      await main(['history', id, '--json', '--local-file', stackFile], io);
      expect(JSON.parse(out.join('\n'))).toMatchObject({ status: 'failed', historyDropped: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it(`records stale events up to ${HISTORY_LIMIT} entries and reports the rest as dropped`, async () => {
    const id = newMessageId();
    const current = eventBody({ webhookId: 'cur', messageId: id, eventType: 'message.finalized', status: 'delivered' });
    const stale = Array.from({ length: HISTORY_LIMIT + 3 }, (_, i) =>
      eventBody({
        webhookId: `old${i}`,
        messageId: id,
        eventType: 'message.sent',
        status: 'sent',
        occurredAt: second(i),
      }),
    );
    const results = await deliver([current, ...stale]);
    expect(results.slice(HISTORY_LIMIT).map((r) => [r.effect, r.requests, r.historyDropped])).toEqual([
      ['none', 1, true],
      ['none', 1, true],
      ['none', 1, true],
      ['none', 1, true],
    ]);
    expect((await getItem(id))?.[HISTORY_DROPPED_ATTRIBUTE]).toBeUndefined();
  }, 60_000);
});

describe('odd times', () => {
  it('keeps a failed event with no usable time in the failed index, listed at its receive time', async () => {
    const id = newMessageId();
    const receivedAt = new Date('2026-05-31T08:00:00.000Z');
    const body = eventBody({
      webhookId: 'w',
      messageId: id,
      eventType: 'message.finalized',
      status: 'failed',
      occurredAt: 'soon',
    });
    expect(parseMessageEvent(body).occurredAt).toBeUndefined();
    await deliver([body], (b: string) => consumer()(b, receivedAt));
    const item = await getItem(id);
    expect(item?.occurredAt?.S).toBe(receivedAt.toISOString());
    // The event itself has no time: its history entry says so.
    expect(item?.history?.L?.[0]?.M?.occurredAt).toBeUndefined();
    const failed = await db.client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: FAILED_INDEX.name,
        KeyConditionExpression: 'failedShard = :s AND occurredAt = :t',
        ExpressionAttributeValues: { ':s': { S: failedShardOf(id) }, ':t': { S: receivedAt.toISOString() } },
      }),
    );
    expect(failed.Items?.map((i) => i.messageId?.S)).toContain(id);
    const byContact = await db.client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: CONTACT_INDEX.name,
        KeyConditionExpression: 'contactNumber = :c AND occurredAt = :t',
        ExpressionAttributeValues: { ':c': { S: item!.contactNumber!.S! }, ':t': { S: receivedAt.toISOString() } },
      }),
    );
    expect(byContact.Items?.map((i) => i.messageId?.S)).toContain(id);
  });

  it('takes the envelope time when occurred_at is not strict ISO 8601 ("5", "2026-02-30")', async () => {
    for (const occurred_at of ['5', '2026-02-30', '2026-02-30T00:00:00Z']) {
      const id = newMessageId();
      const body = JSON.stringify({
        id: `w-${id}`,
        time: 1770000000,
        payload: { id, event_type: 'message.sent', status: 'sent', occurred_at },
      });
      await deliver([body]);
      expect((await getItem(id))?.occurredAt?.S).toBe('2026-02-02T02:40:00.000Z');
    }
  });

  it(`clamps a year-9999 time to the receive time plus ${MAX_CLOCK_SKEW_MS / 60_000} minutes, so later events still win`, async () => {
    const id = newMessageId();
    const t0 = new Date('2026-05-31T10:00:00.000Z');
    const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
    const event = (webhookId: string, status: string, occurredAt: string) =>
      eventBody({ webhookId, messageId: id, eventType: 'message.finalized', status, occurredAt });
    const results = [];
    results.push(...(await deliver([event('future', 'failed', '9999-12-31T23:59:59.999Z')], consumer(at(0)))));
    expect((await getItem(id))?.occurredAt?.S).toBe(at(5).toISOString());
    // Within the skew the clamped time still ranks first; after it, a real later event wins.
    results.push(...(await deliver([event('soon', 'delivered', at(1).toISOString())], consumer(at(1)))));
    results.push(...(await deliver([event('later', 'delivered', at(10).toISOString())], consumer(at(10)))));
    expect(results.map((r) => r.effect)).toEqual(['state', 'history', 'state']);
    const item = await getItem(id);
    expect([item?.status?.S, item?.webhookId?.S, item?.failedShard]).toEqual(['delivered', 'later', undefined]);
  });
});

describe('long strings', () => {
  it('applies a message’s later events after a few 60 KB event types (they used to push it past 400 KB)', async () => {
    const id = newMessageId();
    const huge = (i: number) =>
      eventBody({
        webhookId: `huge${i}`,
        messageId: id,
        eventType: `${i}${'x'.repeat(60_000)}`,
        occurredAt: second(i),
      });
    const final = eventBody({ webhookId: 'fin', messageId: id, eventType: 'message.finalized', status: 'delivered' });
    const results = await deliver([...Array.from({ length: 8 }, (_, i) => huge(i)), final]);
    expect(results.map((r) => r.effect)).toEqual([...Array.from({ length: 8 }, () => 'history'), 'state']);
    const item = (await getItem(id))!;
    expect(item.status?.S).toBe('delivered');
    expect(item.history?.L?.map((e) => Buffer.byteLength(e.M?.eventType?.S ?? ''))).toEqual([
      ...Array.from({ length: 8 }, () => MAX_BYTES.short),
      'message.finalized'.length,
    ]);
    expect(dynamoDbItemSize(item)).toBeLessThan(10_000);
  });
});

describe('index keys', () => {
  it('cuts a long contact number within the index key limit, at a code point, and lists the message under it', async () => {
    const id = newMessageId();
    const number = `+${'😀'.repeat(3000)}`;
    await deliver([
      eventBody({ webhookId: 'w', messageId: id, payload: { to_number: number, direction: 'outbound' } }),
    ]);
    const contact = (await getItem(id))?.contactNumber?.S ?? '';
    expect(Buffer.byteLength(contact)).toBeLessThanOrEqual(MAX_BYTES.field);
    expect(MAX_BYTES.field).toBeLessThanOrEqual(MAX_PARTITION_KEY_BYTES);
    expect(contact.isWellFormed()).toBe(true);
    expect(number.startsWith(contact)).toBe(true);
    const found = await db.client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: CONTACT_INDEX.name,
        KeyConditionExpression: 'contactNumber = :c',
        ExpressionAttributeValues: { ':c': { S: contact } },
      }),
    );
    expect(found.Items?.map((i) => i.messageId?.S)).toEqual([id]);
  });
});

// --- The size bound ------------------------------------------------------------------------

/** Bytes of an attribute: its name plus its value. */
const attr = (name: string, valueBytes: number) => Buffer.byteLength(name) + valueBytes;
/** Bytes of a map value whose members take at most these (name, value bytes). */
const mapOf = (members: [string, number][]) => 3 + members.length + members.reduce((n, [k, v]) => n + attr(k, v), 0);

const ID = 3 * MAX_ID_LENGTH; // an id is at most MAX_ID_LENGTH UTF-16 units, 3 bytes each at most
const TIME = 24; // YYYY-MM-DDTHH:mm:ss.sssZ
const NUMBER = 21; // 38 significant digits: 19 bytes, plus 1, plus 1 for a sign
const TEXT = 3 * MAX_TEXT_UNITS;
const ENTRY = mapOf([
  ['webhookId', ID],
  ['eventType', MAX_BYTES.short],
  ['status', MAX_BYTES.short],
  ['occurredAt', TIME],
]);
const MEDIA_ITEM = mapOf([
  ['url', MAX_BYTES.url],
  ['contentType', MAX_BYTES.short],
  ['size', NUMBER],
  ['sha256', MAX_BYTES.short],
]);

/** The largest each attribute of a message item can be (name and value), from the caps of `event.ts`. */
const ATTRIBUTE_BOUND: Readonly<Record<string, number>> = {
  messageId: attr('messageId', ID),
  stateKey: attr('stateKey', 1 + 1 + TIME + 1 + ID),
  eventType: attr('eventType', MAX_BYTES.short),
  webhookId: attr('webhookId', ID),
  status: attr('status', MAX_BYTES.short),
  occurredAt: attr('occurredAt', TIME),
  updatedAt: attr('updatedAt', TIME),
  expiresAt: attr('expiresAt', NUMBER),
  [HISTORY_DROPPED_ATTRIBUTE]: attr(HISTORY_DROPPED_ATTRIBUTE, NUMBER),
  errorCode: attr('errorCode', MAX_BYTES.field),
  providerErrorCode: attr('providerErrorCode', MAX_BYTES.field),
  providerErrorTitle: attr('providerErrorTitle', MAX_BYTES.field),
  providerErrorDetail: attr('providerErrorDetail', MAX_BYTES.field),
  carrierName: attr('carrierName', MAX_BYTES.field),
  failedShard: attr('failedShard', 'failed#15'.length),
  direction: attr('direction', MAX_BYTES.short),
  fromNumber: attr('fromNumber', MAX_BYTES.field),
  toNumber: attr('toNumber', MAX_BYTES.field),
  contactNumber: attr('contactNumber', MAX_BYTES.field),
  messageAppId: attr('messageAppId', MAX_BYTES.field),
  messageType: attr('messageType', MAX_BYTES.short),
  text: attr('text', TEXT),
  parts: attr('parts', NUMBER),
  encoding: attr('encoding', MAX_BYTES.short),
  media: attr('media', 3 + MAX_MEDIA_ITEMS * (1 + MEDIA_ITEM)),
  // Entries and ids are only ever added together, and no write adds one past STATE_HISTORY_LIMIT entries.
  history: attr('history', 3 + STATE_HISTORY_LIMIT * (1 + ENTRY)),
  appliedIds: attr('appliedIds', STATE_HISTORY_LIMIT * ID),
};
const ITEM_BOUND = Object.values(ATTRIBUTE_BOUND).reduce((a, b) => a + b, 0);

/** Each attribute of `item` within its bound (and known to the bound at all). */
function expectWithinBounds(item: Record<string, AttributeValue>): void {
  for (const [name, value] of Object.entries(item)) {
    // Named in the comparison, so a failure says which attribute.
    const bytes = attr(name, attributeValueSize(value));
    expect({ name, within: name in ATTRIBUTE_BOUND && bytes <= ATTRIBUTE_BOUND[name]! }).toEqual({
      name,
      within: true,
    });
  }
  expect(dynamoDbItemSize(item)).toBeLessThanOrEqual(ITEM_BOUND);
}

/** Adversarial strings: any mix of 1-, 2-, 3- and 4-byte characters, lone surrogates and controls, up to 24,000 units (past every cap). */
const piece = fc.constantFrom('a', ' ', 'é', '€', '中', '😀', '\ud800', '\udfff', '\u0000', 'İ');
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 6_000 }))
    .map(([pieces, n]) => pieces.join('').repeat(n)),
);
const anyId = fc
  .array(piece, { minLength: 1, maxLength: MAX_ID_LENGTH })
  .map((p) => p.join('').slice(0, MAX_ID_LENGTH));

const payloadArb = fc.record(
  {
    event_type: fc.oneof(fc.constantFrom('message.sent', 'message.finalized', 'message.received'), anyString),
    status: fc.oneof(fc.constantFrom('sent', 'delivered', 'failed', 'queued'), anyString),
    occurred_at: fc.oneof(
      fc
        .date({ min: new Date('2020-01-01'), max: new Date('9999-12-31'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      anyString,
    ),
    direction: fc.oneof(fc.constantFrom('outbound', 'inbound'), anyString),
    to_number: anyString,
    from_number: anyString,
    message_app_id: anyString,
    type: anyString,
    text: anyString,
    parts: fc.oneof(fc.nat(), fc.double()),
    encoding: anyString,
    error_code: fc.oneof(anyString, fc.integer()),
    provider_error_code: anyString,
    provider_error_title: anyString,
    provider_error_detail: anyString,
    carrier_name: anyString,
    media: fc.array(
      fc.record({ url: anyString, content_type: anyString, size: fc.nat(), sha256: anyString }, { requiredKeys: [] }),
      { maxLength: MAX_MEDIA_ITEMS + 5 },
    ),
  },
  { requiredKeys: [] },
);

/** The attribute values a write sets by name (`#x = :x`), as a partial item. */
function setValues(write: UpdateItemParams): Record<string, AttributeValue> {
  const values: Record<string, AttributeValue> = {};
  for (const [, name, label] of write.UpdateExpression.matchAll(/#(\w+) = :(\w+)/g))
    if (name === label) values[name!] = write.ExpressionAttributeValues[`:${label}`] as AttributeValue;
  return values;
}

describe(`the item stays under DynamoDB's ${MAX_ITEM_BYTES / 1024} KB, whatever the events`, () => {
  it('has a worst case, from the caps, well under the limit', () => {
    expect(ITEM_BOUND).toBeLessThan(MAX_ITEM_BYTES);
    // The figure docs/message-state.md gives.
    expect(ITEM_BOUND).toBe(294_675);
  });

  it('writes no value over its share of the bound, for any payload (property)', () => {
    fc.assert(
      fc.property(anyId, anyId, payloadArb, fc.date({ noInvalidDate: true }), (webhookId, id, payload, receivedAt) => {
        const body = JSON.stringify({ id: webhookId, payload: { ...payload, id } });
        const event = parseMessageEvent(body);
        const plan = planWrites(event, { tableName: 't', now: NOW, receivedAt, retentionDays: 30 });
        const entry = plan.first.ExpressionAttributeValues[':historyEntry'] as { L: AttributeValue[] };
        const appliedId = (plan.first.ExpressionAttributeValues[':webhookIdSet'] as { SS: string[] }).SS[0]!;
        expectWithinBounds({ ...setValues(plan.first), ...(plan.stateOnly ? setValues(plan.stateOnly) : {}) });
        expect(attributeValueSize(entry.L[0])).toBeLessThanOrEqual(ENTRY);
        expect(Buffer.byteLength(appliedId)).toBeLessThanOrEqual(ID);
        expect(Buffer.byteLength(event.messageId)).toBeLessThanOrEqual(ID);
        // Every key of the table or an index is valid Unicode within DynamoDB's key limits.
        const set = setValues(plan.first);
        const partitionKeys = [event.messageId, set['contactNumber']?.S, set['failedShard']?.S];
        for (const key of partitionKeys.filter((k): k is string => k !== undefined)) {
          expect(key.isWellFormed()).toBe(true);
          expect(Buffer.byteLength(key)).toBeLessThanOrEqual(MAX_PARTITION_KEY_BYTES);
        }
        expect(Buffer.byteLength(set['occurredAt']?.S ?? '')).toBeLessThanOrEqual(MAX_SORT_KEY_BYTES);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('holds every event of a worst-case message, every field at its cap, against the stand-in', async () => {
    const messageId = '€'.repeat(MAX_ID_LENGTH);
    // 256 UTF-16 units of 3 bytes each, unique by their first character.
    const webhookId = (i: number) => String.fromCharCode(0x4e00 + i) + '€'.repeat(MAX_ID_LENGTH - 1);
    const field = `a${'€'.repeat(400)}`;
    const payload = (i: number, eventType: string, status: string) => ({
      id: messageId,
      event_type: eventType,
      status,
      occurred_at: second(i),
      direction: 'outbound',
      to_number: field,
      from_number: field,
      message_app_id: field,
      type: 'T'.repeat(500),
      encoding: 'E'.repeat(500),
      text: '€'.repeat(MAX_TEXT_UNITS + 100),
      parts: 1_000_000,
      error_code: field,
      provider_error_code: field,
      provider_error_title: field,
      provider_error_detail: field,
      carrier_name: field,
      media: Array.from({ length: MAX_MEDIA_ITEMS + 5 }, () => ({
        url: 'u'.repeat(5000),
        content_type: 'c'.repeat(500),
        size: 1_000_000,
        sha256: 'h'.repeat(500),
      })),
    });
    const body = (i: number, eventType: string, status: string) =>
      JSON.stringify({ id: webhookId(i), payload: payload(i, eventType, status) });
    const bodies = [
      // Unknown types, kept to HISTORY_LIMIT entries: every one at the event-type cap.
      ...Array.from({ length: HISTORY_LIMIT }, (_, i) =>
        body(i, `${String.fromCharCode(0x4e00 + i)}${'x'.repeat(500)}`, 'y'.repeat(500)),
      ),
      // States, each newer than the last, up to STATE_HISTORY_LIMIT entries and past it.
      ...Array.from({ length: STATE_HISTORY_LIMIT - HISTORY_LIMIT + 2 }, (_, i) =>
        body(HISTORY_LIMIT + i, 'message.finalized', `${'z'.repeat(500)}`),
      ),
    ];
    const results = await deliver(bodies, consumer(NOW, 30));
    expect(results.filter((r) => r.effect === 'none')).toHaveLength(0);
    expect(results.at(-1)).toMatchObject({ effect: 'state', historyDropped: true });
    const item = (await getItem(messageId))!;
    expect(item.history?.L).toHaveLength(STATE_HISTORY_LIMIT);
    expectWithinBounds(item);
    const size = dynamoDbItemSize(item);
    // The bound is close to what events can reach: it is not slack hiding a mistake.
    expect(size).toBeGreaterThan(0.95 * ITEM_BOUND);
    expect(size).toBeLessThan(MAX_ITEM_BYTES);
  }, 120_000);

  it('applies every delivery of any sequence of odd events, and stays within the bound (property)', async () => {
    const apply = consumer(NOW, 30);
    let longestHistory = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            kind: fc.constantFrom('newer', 'newer', 'newer', 'newer', 'stale', 'unknown', 'duplicate'),
            payload: payloadArb,
            webhookId: anyId,
          }),
          // Long enough to fill the history in most runs.
          { minLength: 100, maxLength: 140, size: 'max' },
        ),
        async (events) => {
          const messageId = newMessageId();
          const sent: string[] = [];
          for (const [i, e] of events.entries()) {
            const eventType = e.kind === 'unknown' ? `odd.${e.payload.event_type ?? ''}` : 'message.sent';
            const occurredAt = e.kind === 'stale' ? second(0) : second(i + 1);
            const body =
              e.kind === 'duplicate' && sent.length > 0
                ? sent[i % sent.length]!
                : JSON.stringify({
                    id: `${i}-${e.webhookId}`.slice(0, MAX_ID_LENGTH),
                    payload: { ...e.payload, id: messageId, event_type: eventType, occurred_at: occurredAt },
                  });
            sent.push(body);
            // Any error (a refused item or key) fails the property.
            await apply(body);
          }
          const item = (await getItem(messageId))!;
          expectWithinBounds(item);
          expect(new Set(item.appliedIds?.SS)).toEqual(new Set(historyIds(item)));
          longestHistory = Math.max(longestHistory, item.history?.L?.length ?? 0);
        },
      ),
      { numRuns: 5 },
    );
    // The runs reached the history bound, where sizes are largest.
    expect(longestHistory).toBeGreaterThanOrEqual(HISTORY_LIMIT);
  }, 300_000);
});
