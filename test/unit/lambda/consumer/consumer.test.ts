import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { createRecordProcessor, type RecordOutcome } from '../../../../lambda/consumer/consumer';
import { FAILURE_FIELDS, parseMessageEvent, type MessageEvent } from '../../../../lambda/consumer/event';
import { HISTORY_LIMIT, rankOf, STATE_HISTORY_LIMIT } from '../../../../lambda/consumer/state-rules';
import { failedShardOf } from '../../../../lambda/common/message-table';
import { createMessageTable, startDynalite, type DynamoStandIn } from '../../../helpers/dynalite';
import { eventBody, type EventSpec } from '../../../helpers/message-events';

let db: DynamoStandIn;
let tableName: string;

beforeAll(async () => {
  db = await startDynalite();
  tableName = await createMessageTable(db.client);
}, 30_000);
afterAll(async () => db.close());

let messageCounter = 0;
const newMessageId = () => `rf_test_${++messageCounter}`;

/** A consumer as the handler builds it, on its own client (a separate Lambda instance). */
function consumer(client: DynamoDBClient = db.client, now = () => new Date('2026-03-01T00:00:00.000Z')) {
  return createRecordProcessor({ tableName }, (p) => client.send(new UpdateItemCommand(p)), now);
}

async function getItem(messageId: string): Promise<Record<string, AttributeValue> | undefined> {
  return (
    await db.client.send(
      new GetItemCommand({ TableName: tableName, Key: { messageId: { S: messageId } }, ConsistentRead: true }),
    )
  ).Item;
}

const s = (v: AttributeValue | undefined) => v?.S;
const historyIds = (item: Record<string, AttributeValue> | undefined) =>
  (item?.history?.L ?? []).map((e) => e.M?.webhookId?.S);

/** Sends each body through one consumer, in order; returns the outcomes and the UpdateItem requests each cost at the stand-in. */
async function deliverInOrder(
  bodies: readonly string[],
  apply = consumer(),
): Promise<{ outcome: RecordOutcome; requests: number }[]> {
  const results = [];
  for (const body of bodies) {
    const before = db.requests('UpdateItem');
    const outcome = await apply({ body });
    results.push({ outcome, requests: db.requests('UpdateItem') - before });
  }
  return results;
}

const T = (second: number) => `2026-02-01T10:00:${String(second).padStart(2, '0')}.000Z`;

describe('conditional writes against dynalite', () => {
  it('creates the item from a new event with the fields of the table contract', async () => {
    const id = newMessageId();
    await deliverInOrder([
      eventBody({ webhookId: 'w1', messageId: id, status: 'failed', eventType: 'message.finalized' }),
    ]);
    const item = (await getItem(id))!;
    expect(item).toMatchObject({
      messageId: { S: id },
      status: { S: 'failed' },
      eventType: { S: 'message.finalized' },
      direction: { S: 'outbound' },
      fromNumber: { S: '+15555550145' },
      toNumber: { S: '+15555550123' },
      contactNumber: { S: '+15555550123' },
      occurredAt: { S: '2022-04-07T22:19:46.119Z' },
      updatedAt: { S: '2026-03-01T00:00:00.000Z' },
      messageAppId: { S: '40318006-1cae-4997-acbc-fe9a4aadb7dd' },
      text: { S: 'Sending a message to myself to demonstrate using the GraphQL API' },
      parts: { N: '1' },
      encoding: { S: 'GSM-7' },
      media: { L: [] },
      errorCode: { S: '702' },
      providerErrorCode: { S: '40002' },
      providerErrorTitle: { S: 'Blocked as spam - temporary' },
      carrierName: { S: 'T-MOBILE USA, INC.' },
      failedShard: { S: failedShardOf(id) },
      history: {
        L: [
          {
            M: {
              webhookId: { S: 'w1' },
              eventType: { S: 'message.finalized' },
              status: { S: 'failed' },
              occurredAt: { S: '2022-04-07T22:19:46.119Z' },
            },
          },
        ],
      },
    });
    expect(item.providerErrorDetail?.S).toMatch(/SPAM filter/);
  });

  it('ignores a duplicate: the item is unchanged, updatedAt included', async () => {
    const id = newMessageId();
    const body = eventBody({ webhookId: 'w1', messageId: id });
    await deliverInOrder([body]);
    const before = await getItem(id);
    const [dup] = await deliverInOrder(
      [body],
      consumer(db.client, () => new Date('2027-01-01T00:00:00.000Z')),
    );
    expect(dup!.outcome.effect).toBe('none');
    expect(await getItem(id)).toEqual(before);
  });

  it('keeps message.finalized when message.sent arrives after it, and records both', async () => {
    const id = newMessageId();
    const results = await deliverInOrder([
      eventBody({
        webhookId: 'fin',
        messageId: id,
        eventType: 'message.finalized',
        status: 'delivered',
        occurredAt: T(2),
      }),
      eventBody({ webhookId: 'sent', messageId: id, eventType: 'message.sent', status: 'sent', occurredAt: T(1) }),
    ]);
    expect(results.map((r) => r.outcome.effect)).toEqual(['state', 'history']);
    const item = await getItem(id);
    expect(s(item?.status)).toBe('delivered');
    expect(s(item?.occurredAt)).toBe(T(2));
    expect(historyIds(item)).toEqual(['fin', 'sent']);
  });

  it('keeps message.finalized even when the outranked message.sent occurred later', async () => {
    const id = newMessageId();
    await deliverInOrder([
      eventBody({
        webhookId: 'fin',
        messageId: id,
        eventType: 'message.finalized',
        status: 'delivered',
        occurredAt: T(1),
      }),
      eventBody({ webhookId: 'sent', messageId: id, eventType: 'message.sent', status: 'sent', occurredAt: T(5) }),
    ]);
    expect(s((await getItem(id))?.status)).toBe('delivered');
  });

  it('lets the later of two equal-rank events win in either arrival order, and clears stale failure details', async () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const id = newMessageId();
      const bodies = [
        eventBody({
          webhookId: 'early',
          messageId: id,
          eventType: 'message.finalized',
          status: 'failed',
          occurredAt: T(1),
        }),
        eventBody({
          webhookId: 'late',
          messageId: id,
          eventType: 'message.finalized',
          status: 'delivered',
          occurredAt: T(2),
        }),
      ];
      await deliverInOrder(order.map((i) => bodies[i]!));
      const item = await getItem(id);
      expect(s(item?.status)).toBe('delivered');
      expect(item?.errorCode).toBeUndefined();
      expect(item?.failedShard).toBeUndefined();
      expect(new Set(historyIds(item))).toEqual(new Set(['early', 'late']));
    }
  });

  it('records an unknown event type in history without touching the state', async () => {
    const id = newMessageId();
    const results = await deliverInOrder([
      eventBody({ webhookId: 'sent', messageId: id, status: 'sent', occurredAt: T(1) }),
      eventBody({
        webhookId: 'odd',
        messageId: id,
        eventType: 'message.bounced',
        status: 'delivered',
        occurredAt: T(9),
      }),
    ]);
    expect(results.map((r) => [r.outcome.effect, r.requests])).toEqual([
      ['state', 1],
      ['history', 1],
    ]);
    const item = await getItem(id);
    expect(s(item?.status)).toBe('sent');
    expect(s(item?.eventType)).toBe('message.sent');
    expect(historyIds(item)).toEqual(['sent', 'odd']);
  });

  it("ends in the right item when two consumers apply one message's events at the same time", async () => {
    for (let round = 0; round < 10; round++) {
      const id = newMessageId();
      const sent = eventBody({
        webhookId: 'sent',
        messageId: id,
        eventType: 'message.sent',
        status: 'sent',
        occurredAt: T(1),
      });
      const fin = eventBody({
        webhookId: 'fin',
        messageId: id,
        eventType: 'message.finalized',
        status: 'failed',
        occurredAt: T(2),
      });
      const a = consumer(db.newClient());
      const b = consumer(db.newClient());
      // Each consumer gets one copy of every event, in opposite orders, all at once.
      await Promise.all([a({ body: sent }), b({ body: fin }), a({ body: fin }), b({ body: sent })]);
      const item = await getItem(id);
      expect(s(item?.status)).toBe('failed');
      expect(s(item?.errorCode)).toBe('702');
      expect([...historyIds(item)].sort()).toEqual(['fin', 'sent']);
      expect([...(item?.appliedIds?.SS ?? [])].sort()).toEqual(['fin', 'sent']);
    }
  });
});

/** The error a send rejected with (the test fails if it resolved). */
async function refusal(send: Promise<unknown>): Promise<ConditionalCheckFailedException> {
  const err: unknown = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConditionalCheckFailedException);
  return err as ConditionalCheckFailedException;
}

describe('queue messages the ingest encoded (common/queue-message.ts)', () => {
  it('decodes a base64 body flagged by bodyEncoding, and keys on ids cleaned as the attributes were', async () => {
    const raw =
      '{"id":"rfw_enc\\u0001","payload":{"event_type":"message.received","message_app_id":"app_\uffff","text":"a\ufffeb"}}';
    const outcome = await consumer()({
      body: Buffer.from(raw, 'utf8').toString('base64'),
      messageAttributes: { bodyEncoding: { stringValue: 'base64' } },
    });
    expect(outcome.event).toMatchObject({ webhookId: 'rfw_enc\ufffd', messageId: 'app_\ufffd', text: 'a\ufffeb' });
    const item = await getItem('app_\ufffd');
    expect(s(item?.text)).toBe('a\ufffeb');
    expect(historyIds(item)).toEqual(['rfw_enc\ufffd']);
  });

  it('refuses a body in an encoding it does not know, so the record goes to the DLQ rather than being misread', async () => {
    await expect(
      consumer()({ body: 'eyJpZCI6InJmd18xIn0=', messageAttributes: { bodyEncoding: { stringValue: 'gzip' } } }),
    ).rejects.toThrow(/unknown bodyEncoding "gzip"/);
  });
});

describe('the stand-in returns the refused item (ReturnValuesOnConditionCheckFailure), as DynamoDB does', () => {
  const condition = { ConditionExpression: 'attribute_not_exists(messageId)' };

  it('puts the current item in the refusal of an UpdateItem with ALL_OLD, and not without the parameter', async () => {
    const id = newMessageId();
    await deliverInOrder([eventBody({ webhookId: 'w1', messageId: id })]);
    const stored = await getItem(id);
    const update = {
      TableName: tableName,
      Key: { messageId: { S: id } },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'x' } },
      ...condition,
    };
    const [updates, gets] = [db.requests('UpdateItem'), db.requests('GetItem')];
    const withItem = await refusal(
      db.client.send(new UpdateItemCommand({ ...update, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
    );
    expect(withItem.message).toBe('The conditional request failed');
    expect(withItem.Item).toEqual(stored);
    expect((await refusal(db.client.send(new UpdateItemCommand(update)))).Item).toBeUndefined();
    expect(
      (await refusal(db.client.send(new UpdateItemCommand({ ...update, ReturnValuesOnConditionCheckFailure: 'NONE' }))))
        .Item,
    ).toBeUndefined();
    // Counted as the client sent them: three UpdateItems; the stand-in's own read of the item is not a request.
    expect([db.requests('UpdateItem') - updates, db.requests('GetItem') - gets]).toEqual([3, 0]);
    expect(await getItem(id)).toEqual(stored);
  });

  it('does the same for PutItem and DeleteItem', async () => {
    const id = newMessageId();
    const item = { messageId: { S: id }, status: { S: 'sent' }, appliedIds: { SS: ['a', 'b'] } };
    await db.client.send(new PutItemCommand({ TableName: tableName, Item: item }));
    const put = new PutItemCommand({
      TableName: tableName,
      Item: { ...item, status: { S: 'other' } },
      ...condition,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect((await refusal(db.client.send(put))).Item).toEqual(item);
    const del = {
      TableName: tableName,
      Key: { messageId: { S: id } },
      ConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'delivered' } },
    };
    expect(
      (await refusal(db.client.send(new DeleteItemCommand({ ...del, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }))))
        .Item,
    ).toEqual(item);
    expect((await refusal(db.client.send(new DeleteItemCommand(del)))).Item).toBeUndefined();
  });

  it('returns no item when the refused condition was about a missing item, and changes nothing on success', async () => {
    const id = newMessageId();
    const key = { messageId: { S: id } };
    const missing = await refusal(
      db.client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: 'SET #t = :t',
          ConditionExpression: 'attribute_exists(messageId)',
          ExpressionAttributeNames: { '#t': 'text' },
          ExpressionAttributeValues: { ':t': { S: 'x' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    expect(missing.Item).toBeUndefined();
    const ok = await db.client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #t = :t',
        ...condition,
        ExpressionAttributeNames: { '#t': 'text' },
        ExpressionAttributeValues: { ':t': { S: 'x' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    expect(ok.Attributes).toBeUndefined();
    expect(await getItem(id)).toEqual({ messageId: { S: id }, text: { S: 'x' } });
  });
});

describe('write cost', () => {
  it('costs 1 write for a new event, 2 for a stale one, 1 for a duplicate (counted at the stand-in)', async () => {
    const id = newMessageId();
    const ev = {
      sent: eventBody({
        webhookId: 'sent',
        messageId: id,
        eventType: 'message.sent',
        status: 'sent',
        occurredAt: T(1),
      }),
      fin: eventBody({
        webhookId: 'fin',
        messageId: id,
        eventType: 'message.finalized',
        status: 'delivery_unconfirmed',
        occurredAt: T(2),
      }),
      odd: eventBody({ webhookId: 'odd', messageId: id, eventType: 'message.bounced', occurredAt: T(3) }),
      fin2: eventBody({
        webhookId: 'fin2',
        messageId: id,
        eventType: 'message.finalized',
        status: 'delivered',
        occurredAt: T(4),
      }),
    };
    // Reordered (finalized first) and duplicated, as Lambda's SQS event source may deliver.
    // A refused state write returns the item, so a duplicate's id is seen there and no history write follows.
    const stream: [keyof typeof ev, string, number][] = [
      ['fin', 'state', 1],
      ['sent', 'history', 2], // stale: refused state write, then history
      ['fin', 'none', 1], // duplicate of a state-defining event
      ['odd', 'history', 1], // unknown type: one history write
      ['sent', 'none', 1], // duplicate of a stale event
      ['odd', 'none', 1], // duplicate of an unknown event
      ['fin2', 'state', 1], // newer: one write
      ['fin2', 'none', 1],
    ];
    const results = await deliverInOrder(stream.map(([k]) => ev[k]));
    expect(results.map((r) => [r.outcome.effect, r.requests])).toEqual(
      stream.map(([, effect, writes]) => [effect, writes]),
    );
    // The SDK's own count agrees with the stand-in's: no hidden retries.
    expect(results.map((r) => r.outcome.writes)).toEqual(results.map((r) => r.requests));
    expect(results.reduce((n, r) => n + r.requests, 0)).toBe(9);
    expect(s((await getItem(id))?.status)).toBe('delivered');
  });
});

describe('bounded history', () => {
  it(`keeps at most ${HISTORY_LIMIT} stale events, still applies newer ones, and still ignores duplicates`, async () => {
    const id = newMessageId();
    const current = eventBody({
      webhookId: 'current',
      messageId: id,
      eventType: 'message.finalized',
      status: 'delivered',
      occurredAt: T(30),
    });
    const stale = Array.from({ length: HISTORY_LIMIT + 10 }, (_, i) =>
      eventBody({
        webhookId: `stale-${i}`,
        messageId: id,
        eventType: 'message.sent',
        status: 'sent',
        occurredAt: T(1),
      }),
    );
    const costs = await deliverInOrder([current, ...stale]);
    let item = await getItem(id);
    expect(item?.history?.L).toHaveLength(HISTORY_LIMIT);
    // Until the limit a stale event costs its two writes; beyond it the returned item shows the
    // history full, so the history write is not sent.
    expect(costs.slice(1).map((c) => [c.outcome.effect, c.requests])).toEqual(
      stale.map((_, i) => (i < HISTORY_LIMIT - 1 ? ['history', 2] : ['none', 1])),
    );
    // The applied set and the history always hold the same ids: nothing dropped was marked applied.
    expect(new Set(item?.appliedIds?.SS)).toEqual(new Set(historyIds(item)));

    const newer = eventBody({
      webhookId: 'newer',
      messageId: id,
      eventType: 'message.finalized',
      status: 'failed',
      occurredAt: T(40),
    });
    const [applied] = await deliverInOrder([newer]);
    expect(applied!.outcome.effect).toBe('state');
    const [dup] = await deliverInOrder([newer]);
    expect(dup!.outcome.effect).toBe('none');
    item = await getItem(id);
    expect(s(item?.status)).toBe('failed');
    expect(item?.history?.L).toHaveLength(HISTORY_LIMIT + 1);
    expect(HISTORY_LIMIT + 1).toBeLessThanOrEqual(STATE_HISTORY_LIMIT);
  });
});

/** The state order of the rules, computed directly: does ranked event `a` win over ranked event `b`? */
function better(a: MessageEvent, b: MessageEvent): boolean {
  const ra = rankOf(a)!;
  const rb = rankOf(b)!;
  if (ra !== rb) return ra > rb;
  const ta = a.occurredAt === undefined ? -Infinity : Date.parse(a.occurredAt);
  const tb = b.occurredAt === undefined ? -Infinity : Date.parse(b.occurredAt);
  if (ta !== tb) return ta > tb;
  return a.webhookId > b.webhookId;
}

/** The rules, computed directly from the set of distinct events: the reference the writes must agree with. */
function expectedItem(events: readonly MessageEvent[]) {
  const ranked = events.filter((e) => rankOf(e) !== undefined);
  const winner = ranked.reduce<MessageEvent | undefined>(
    (best, e) => (best === undefined || better(e, best) ? e : best),
    undefined,
  );
  return {
    status: winner?.status,
    eventType: winner?.eventType,
    failure: Object.fromEntries(FAILURE_FIELDS.map((f) => [f, winner?.failure[f]])),
    history: new Set(
      events.map((e) => JSON.stringify([e.webhookId, e.eventType, e.status ?? null, e.occurredAt ?? null])),
    ),
  };
}

function actualItem(item: Record<string, AttributeValue> | undefined) {
  return {
    status: s(item?.status),
    eventType: s(item?.eventType),
    failure: Object.fromEntries(FAILURE_FIELDS.map((f) => [f, s(item?.[f])])),
    history: new Set(
      (item?.history?.L ?? []).map((e) =>
        JSON.stringify([e.M?.webhookId?.S, e.M?.eventType?.S, e.M?.status?.S ?? null, e.M?.occurredAt?.S ?? null]),
      ),
    ),
  };
}

const eventSpecArb = fc.record({
  eventType: fc.constantFrom('message.sent', 'message.finalized', 'message.received', 'message.bounced'),
  status: fc.constantFrom(
    'sent',
    'delivered',
    'failed',
    'queued',
    'sending_failed',
    'delivery_unconfirmed',
    'expired',
    'mystery',
    null,
  ),
  // Few distinct times, so that ties of rank and time (broken by webhook id) are common.
  occurredAt: fc.constantFrom(T(1), T(2), T(3), null),
  errorCode: fc.constantFrom('702', '30003', undefined),
});

describe('property: the final item depends only on the set of events', () => {
  it("for any sequence of one message's events, with duplicates, in any order, sequential or concurrent", async () => {
    const second = db.newClient();
    let deliveries = 0;
    let requests = 0;
    let stale = 0;
    await fc.assert(
      fc.asyncProperty(
        fc
          .uniqueArray(
            fc.tuple(
              fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), minLength: 1, maxLength: 3 }),
              eventSpecArb,
            ),
            {
              minLength: 1,
              maxLength: 8,
              selector: ([webhookId]) => webhookId,
            },
          )
          .chain((events) =>
            fc.tuple(
              fc.constant(events),
              fc.array(fc.nat(events.length - 1), { maxLength: 8 }).chain((dups) => {
                const all = [...events.keys(), ...dups];
                return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
              }),
              fc.boolean(),
            ),
          ),
        async ([specs, order, concurrent]) => {
          const messageId = newMessageId();
          const bodies = specs.map(([webhookId, spec]) => {
            const eventSpec: EventSpec = {
              webhookId,
              messageId,
              eventType: spec.eventType,
              status: spec.status,
              occurredAt: spec.occurredAt,
            };
            return eventBody(spec.errorCode ? { ...eventSpec, payload: { error_code: spec.errorCode } } : eventSpec);
          });
          const events = bodies.map(parseMessageEvent);
          const sequence = order.map((i) => bodies[i]!);
          if (concurrent) {
            // Two consumers, each working through its half in order, at the same time.
            const a = consumer(db.client);
            const b = consumer(second);
            const lane = async (apply: typeof a, part: string[]) => {
              for (const body of part) await apply({ body });
            };
            await Promise.all([
              lane(
                a,
                sequence.filter((_, i) => i % 2 === 0),
              ),
              lane(
                b,
                sequence.filter((_, i) => i % 2 === 1),
              ),
            ]);
          } else {
            const seen = new Set<string>();
            let current: MessageEvent | undefined;
            for (const [i, result] of (await deliverInOrder(sequence)).entries()) {
              const event = events[order[i]!]!;
              // Per delivery, from the model and counted at the stand-in: a duplicate 1 (nothing
              // changes); a new event of unknown type 1; a new event that wins 1; a new stale
              // (late or outranked) event 2.
              const expected = seen.has(event.webhookId)
                ? { effect: 'none', requests: 1 }
                : rankOf(event) === undefined
                  ? { effect: 'history', requests: 1 }
                  : current === undefined || better(event, current)
                    ? { effect: 'state', requests: 1 }
                    : { effect: 'history', requests: 2 };
              expect({ webhookId: event.webhookId, effect: result.outcome.effect, requests: result.requests }).toEqual({
                webhookId: event.webhookId,
                ...expected,
              });
              if (expected.effect === 'state') current = event;
              if (expected.requests === 2) stale++;
              seen.add(event.webhookId);
              deliveries++;
              requests += result.requests;
            }
          }
          const item = await getItem(messageId);
          expect(actualItem(item)).toEqual(expectedItem(events));
          expect(item?.history?.L).toHaveLength(specs.length);
        },
      ),
      { numRuns: 60 },
    );
    // Over the sequential runs: one write per delivery, plus one per stale event.
    expect(requests).toBe(deliveries + stale);
  }, 60_000);
});
