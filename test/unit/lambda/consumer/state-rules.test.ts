import fc from 'fast-check';
import { receivedAtOf } from '../../../../lambda/consumer/consumer';
import {
  contactNumberOf,
  MAX_BYTES,
  MAX_CLOCK_SKEW_MS,
  MAX_TEXT_UNITS,
  parseMessageEvent,
  parseReceivedEvent,
  type MessageEvent,
} from '../../../../lambda/consumer/event';
import { cutToUnits, cutToUtf8Bytes } from '../../../../lambda/consumer/utf8';
import {
  guardRefusal,
  HISTORY_LIMIT,
  planWrites,
  rankOf,
  stateKeyOf,
  STATE_HISTORY_LIMIT,
  type UpdateItemParams,
} from '../../../../lambda/consumer/state-rules';
import { InvalidEventError } from '../../../../lambda/common/errors';
import { allFailedShards, failedShardOf, FAILED_SHARD_COUNT } from '../../../../lambda/common/message-table';
import { vendorEvent } from '../../../helpers/fixtures';
import { eventBody } from '../../../helpers/message-events';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const opts = { tableName: 'messages', now: NOW };

function ev(overrides: Partial<MessageEvent> & { webhookId: string }): MessageEvent {
  return {
    messageId: 'rf_1',
    eventType: 'message.sent',
    status: 'sent',
    occurredAt: '2026-01-01T00:00:00.000Z',
    failure: {},
    ...overrides,
  };
}

describe('parseMessageEvent', () => {
  it('reads an outbound event from the vendor example', () => {
    const e = parseMessageEvent(vendorEvent('message-sent').raw);
    expect(e).toMatchObject({
      webhookId: 'rfw_6962ccb5_e41a61024d9a4a61817e7220fbcbf6b4',
      messageId: 'rf_o6aDxhawR227gt5wgZ2I',
      eventType: 'message.sent',
      status: 'sent',
      occurredAt: '2022-04-07T22:19:44.985Z',
      direction: 'outbound',
      fromNumber: '+15555550145',
      toNumber: '+15555550123',
      messageAppId: '40318006-1cae-4997-acbc-fe9a4aadb7dd',
      messageType: 'SMS',
      parts: 1,
      encoding: 'GSM-7',
      media: [],
      failure: {},
    });
    expect(contactNumberOf(e)).toBe('+15555550123');
  });

  it('keys an inbound message on message_app_id and takes the sender as the contact', () => {
    const e = parseMessageEvent(vendorEvent('message-received').raw);
    expect(e.messageId).toBe('c7fdc0ba-f3df-4e30-a7fc-397940a6f675');
    expect(e.direction).toBe('inbound');
    expect(contactNumberOf(e)).toBe('+15555550145');
  });

  it('reads every failure detail of a failed delivery', () => {
    expect(parseMessageEvent(vendorEvent('message-failed').raw).failure).toEqual({
      errorCode: '702',
      providerErrorCode: '40002',
      providerErrorTitle: 'Blocked as spam - temporary',
      providerErrorDetail:
        'The message was flagged by a SPAM filter and was not delivered. This is a temporary condition.',
      carrierName: 'T-MOBILE USA, INC.',
    });
  });

  it('leaves out null, missing and wrongly typed fields instead of failing', () => {
    const raw = JSON.stringify({
      id: 'rfw_x',
      payload: {
        id: 'rf_x',
        status: 42,
        to_number: null,
        from_number: ['+1'],
        parts: 'many',
        media: 'none',
        text: { a: 1 },
        occurred_at: 'yesterday',
        error_code: 702,
        direction: null,
        event_type: 'message.sent',
      },
      time: '1649369985',
    });
    const e = parseMessageEvent(raw);
    expect(e).toEqual({
      webhookId: 'rfw_x',
      messageId: 'rf_x',
      eventType: 'message.sent',
      status: '42',
      // An unparseable occurred_at falls back to the envelope's epoch seconds.
      occurredAt: '2022-04-07T22:19:45.000Z',
      direction: 'outbound',
      failure: { errorCode: '702' },
    });
  });

  it('keeps the message text exactly, whitespace included', () => {
    expect(parseMessageEvent(JSON.stringify({ id: 'w', payload: { text: '  hi\n' } })).text).toBe('  hi\n');
  });

  it('keeps known media fields under camel-case names and drops non-objects', () => {
    const raw = JSON.stringify({
      id: 'w',
      payload: {
        media: [{ url: 'https://m/1', content_type: 'image/png', size: 10, hash_sha256: 'abc', extra: 1 }, 'x', null],
      },
    });
    expect(parseMessageEvent(raw).media).toEqual([
      { url: 'https://m/1', contentType: 'image/png', size: 10, sha256: 'abc' },
    ]);
  });

  it('has no time when neither occurred_at nor a usable envelope time is given', () => {
    expect(
      parseMessageEvent(JSON.stringify({ id: 'w', payload: { occurred_at: null }, time: 'soon' })).occurredAt,
    ).toBeUndefined();
    expect(
      parseMessageEvent(JSON.stringify({ id: 'w', payload: { occurred_at: '+275760-09-13T00:00:00.000Z' } }))
        .occurredAt,
    ).toBeUndefined();
  });

  it.each([['not json'], ['[]'], ['{"payload":{}}'], ['{"id":""}']])('rejects %s as an invalid event', (raw) => {
    expect(() => parseMessageEvent(raw)).toThrow(InvalidEventError);
  });
});

describe('rank and order', () => {
  it('ranks message.finalized over message.sent over message.received', () => {
    expect(rankOf({ eventType: 'message.finalized', status: 'delivered' })).toBeGreaterThan(
      rankOf({ eventType: 'message.sent', status: 'sent' })!,
    );
    expect(rankOf({ eventType: 'message.sent', status: 'sent' })).toBeGreaterThan(
      rankOf({ eventType: 'message.received', status: 'webhook_delivered' })!,
    );
  });

  it('gives unknown event types no rank, whatever their status', () => {
    expect(rankOf({ eventType: 'message.bounced', status: 'delivered' })).toBeUndefined();
    expect(rankOf({ eventType: 'unknown' })).toBeUndefined();
    expect(stateKeyOf({ eventType: 'x', webhookId: 'w' })).toBeUndefined();
  });

  it('ranks a final Telnyx status as final even on a message.sent event', () => {
    expect(rankOf({ eventType: 'message.sent', status: 'sending_failed' })).toBe(
      rankOf({ eventType: 'message.finalized', status: 'delivered' }),
    );
    expect(rankOf({ eventType: 'message.sent', status: 'queued' })).toBe(
      rankOf({ eventType: 'message.sent', status: 'sent' }),
    );
  });

  it('orders equal ranks by occurredAt, then by webhook id; a missing time sorts first', () => {
    const key = (webhookId: string, occurredAt?: string) =>
      stateKeyOf({
        eventType: 'message.finalized',
        status: 'delivered',
        webhookId,
        ...(occurredAt ? { occurredAt } : {}),
      })!;
    expect(key('a', '2026-01-01T00:00:01.000Z') > key('z', '2026-01-01T00:00:00.999Z')).toBe(true);
    expect(key('b', '2026-01-01T00:00:00.000Z') > key('a', '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(key('zzz') < key('a', '1970-01-01T00:00:00.000Z')).toBe(true);
  });

  it('lets a higher rank win over a later time', () => {
    const sent = stateKeyOf({
      eventType: 'message.sent',
      status: 'sent',
      webhookId: 'z',
      occurredAt: '2030-01-01T00:00:00.000Z',
    })!;
    const finalized = stateKeyOf({
      eventType: 'message.finalized',
      status: 'delivered',
      webhookId: 'a',
      occurredAt: '2020-01-01T00:00:00.000Z',
    })!;
    expect(finalized > sent).toBe(true);
  });
});

/** Every placeholder a write defines is used, and every one it uses is defined (DynamoDB rejects both mistakes). */
function expectConsistentPlaceholders(p: UpdateItemParams): void {
  const text = `${p.UpdateExpression} ${p.ConditionExpression}`;
  const used = (re: RegExp) => new Set([...text.matchAll(re)].map((m) => m[0]));
  expect(used(/#[A-Za-z0-9_]+/g)).toEqual(new Set(Object.keys(p.ExpressionAttributeNames)));
  expect(used(/:[A-Za-z0-9_]+/g)).toEqual(new Set(Object.keys(p.ExpressionAttributeValues)));
}

describe('planWrites', () => {
  it('plans one conditional state write with a history-only fallback for a ranked event', () => {
    const plan = planWrites(ev({ webhookId: 'w1' }), opts);
    expect(plan.kind).toBe('state');
    expect(plan.first.ConditionExpression).toMatch(/NOT contains\(#appliedIds, :webhookId\)/);
    expect(plan.first.ConditionExpression).toMatch(/#stateKey < :stateKey/);
    expect(plan.first.ExpressionAttributeValues[':stateHistoryLimit']).toEqual({ N: String(STATE_HISTORY_LIMIT) });
    expect(plan.fallback!.UpdateExpression).not.toMatch(/#status/);
    expect(plan.fallback!.ConditionExpression).not.toMatch(/stateKey/);
    expect(plan.fallback!.ExpressionAttributeValues[':historyLimit']).toEqual({ N: String(HISTORY_LIMIT) });
    expectConsistentPlaceholders(plan.first);
    expectConsistentPlaceholders(plan.fallback!);
  });

  it("asks for the refused item on the state write only, and describes the fallback's condition as its guard", () => {
    const plan = planWrites(ev({ webhookId: 'w1' }), opts);
    expect(plan.first.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(plan.fallback!.ReturnValuesOnConditionCheckFailure).toBeUndefined();
    expect(plan.fallbackGuard).toEqual({ webhookId: 'w1', historyLimit: HISTORY_LIMIT });
    // The guard is what the fallback's condition compares: same id, same limit.
    expect(plan.fallback!.ExpressionAttributeValues[':webhookId']).toEqual({ S: plan.fallbackGuard!.webhookId });
    expect(plan.fallback!.ExpressionAttributeValues[':historyLimit']).toEqual({
      N: String(plan.fallbackGuard!.historyLimit),
    });
    const unknown = planWrites(ev({ webhookId: 'w1', eventType: 'message.bounced' }), opts);
    expect(unknown.first.ReturnValuesOnConditionCheckFailure).toBeUndefined();
    expect(unknown.fallbackGuard).toBeUndefined();
  });

  it('plans a single history-only write for an unknown event type', () => {
    const plan = planWrites(ev({ webhookId: 'w1', eventType: 'message.bounced' }), opts);
    expect(plan.kind).toBe('history');
    expect(plan.fallback).toBeUndefined();
    expect(plan.first.UpdateExpression).not.toMatch(/#status|#stateKey/);
    expectConsistentPlaceholders(plan.first);
  });

  it('sets the failure details and the failed shard for a failure, and removes them otherwise', () => {
    const failed = planWrites(parseMessageEvent(vendorEvent('message-failed').raw), opts).first;
    expect(failed.ExpressionAttributeValues[':errorCode']).toEqual({ S: '702' });
    expect(failed.ExpressionAttributeValues[':failedShard']).toEqual({ S: failedShardOf('rf_o6aDxhawR227gt5wgZ2I') });
    const delivered = planWrites(parseMessageEvent(vendorEvent('message-delivered').raw), opts).first;
    expect(delivered.UpdateExpression).toMatch(/REMOVE [^]*#errorCode/);
    expect(delivered.UpdateExpression).toMatch(/REMOVE [^]*#failedShard/);
    expectConsistentPlaceholders(failed);
    expectConsistentPlaceholders(delivered);
  });

  it('puts a failed event without a time in the failed index, listed at its receive time; the order keeps no time', () => {
    const receivedAt = new Date('2026-01-02T00:00:00.000Z');
    const plan = planWrites(ev({ webhookId: 'w1', status: 'failed', occurredAt: undefined }), { ...opts, receivedAt });
    expect(plan.first.ExpressionAttributeValues[':failedShard']).toEqual({ S: failedShardOf('rf_1') });
    expect(plan.first.ExpressionAttributeValues[':occurredAt']).toEqual({ S: receivedAt.toISOString() });
    expect(plan.first.ExpressionAttributeValues[':stateKey']).toEqual({ S: '3##w1' });
    // Without a receive time, the time of the write.
    const now = planWrites(ev({ webhookId: 'w1', occurredAt: undefined }), opts).first;
    expect(now.ExpressionAttributeValues[':occurredAt']).toEqual({ S: NOW.toISOString() });
  });

  it('plans a state-only write that adds neither an entry nor an id, counts the drop, and keeps the state order', () => {
    const plan = planWrites(ev({ webhookId: 'w1' }), opts);
    expect(plan.stateKey).toBe('2#2026-01-01T00:00:00.000Z#w1');
    expect(plan.stateOnly!.UpdateExpression).not.toMatch(/#history =|#appliedIds/);
    expect(plan.stateOnly!.UpdateExpression).toMatch(/ADD #historyDropped :one$/);
    expect(plan.stateOnly!.ExpressionAttributeValues[':stateKey']).toEqual({ S: plan.stateKey });
    expect(plan.stateOnly!.ExpressionAttributeValues[':stateHistoryLimit']).toEqual({ N: String(STATE_HISTORY_LIMIT) });
    expectConsistentPlaceholders(plan.stateOnly!);
    expect(planWrites(ev({ webhookId: 'w1', eventType: 'message.bounced' }), opts).stateOnly).toBeUndefined();
  });

  it('sets expiresAt from the retention, in epoch seconds', () => {
    const plan = planWrites(ev({ webhookId: 'w1' }), { ...opts, retentionDays: 2 });
    const expected = Math.floor(NOW.getTime() / 1000) + 2 * 86_400;
    expect(plan.first.ExpressionAttributeValues[':expiresAt']).toEqual({ N: String(expected) });
    expect(plan.fallback!.ExpressionAttributeValues[':expiresAt']).toEqual({ N: String(expected) });
    expect(planWrites(ev({ webhookId: 'w1' }), opts).first.UpdateExpression).not.toMatch(/expiresAt/);
  });

  it('records each event as {webhookId, eventType, status, occurredAt} in history', () => {
    const plan = planWrites(parseMessageEvent(eventBody({ webhookId: 'w9', status: 'sent' })), opts);
    expect(plan.first.ExpressionAttributeValues[':historyEntry']).toEqual({
      L: [
        {
          M: {
            webhookId: { S: 'w9' },
            eventType: { S: 'message.sent' },
            status: { S: 'sent' },
            occurredAt: { S: '2022-04-07T22:19:44.985Z' },
          },
        },
      ],
    });
  });

  it('writes the contact number of the other party', () => {
    const inbound = planWrites(parseMessageEvent(vendorEvent('message-received').raw), opts).first;
    expect(inbound.ExpressionAttributeValues[':contactNumber']).toEqual({ S: '+15555550145' });
  });
});

describe('guardRefusal', () => {
  const guard = { webhookId: 'w1', historyLimit: 3 };
  const entries = (n: number) => ({ L: Array.from({ length: n }, (_, i) => ({ M: { webhookId: { S: `h${i}` } } })) });

  it('refuses when the id is in appliedIds, or when history has reached the limit', () => {
    expect(guardRefusal(guard, { appliedIds: { SS: ['w0', 'w1'] }, history: entries(2) })).toBe('applied');
    expect(guardRefusal(guard, { appliedIds: { SS: ['w0', 'w2'] }, history: entries(3) })).toBe('history-full');
    expect(guardRefusal(guard, { appliedIds: { SS: ['w0', 'w2'] }, history: entries(4) })).toBe('history-full');
  });

  it('decides nothing when the item allows the write, or does not tell', () => {
    expect(guardRefusal(guard, { appliedIds: { SS: ['w0', 'w2'] }, history: entries(2) })).toBeUndefined();
    expect(guardRefusal(guard, { messageId: { S: 'rf_1' } })).toBeUndefined();
    expect(guardRefusal(guard, {})).toBeUndefined();
  });

  it('trusts only the types the condition compares exactly: a string set of ids, a list of entries', () => {
    // `contains` on a string attribute is a substring test; nothing here writes one, so it decides nothing.
    expect(guardRefusal(guard, { appliedIds: { S: 'w1' } })).toBeUndefined();
    expect(guardRefusal(guard, { appliedIds: { L: [{ S: 'w1' }] } })).toBeUndefined();
    expect(guardRefusal(guard, { appliedIds: 'w1', history: 7 })).toBeUndefined();
    expect(guardRefusal(guard, { history: { S: 'abcdef' } })).toBeUndefined();
    expect(guardRefusal(guard, { appliedIds: null, history: null })).toBeUndefined();
  });
});

describe('failed index shards', () => {
  it('puts one message always on the same shard', () => {
    expect(failedShardOf('rf_abc')).toBe(failedShardOf('rf_abc'));
    expect(allFailedShards()).toContain(failedShardOf('rf_abc'));
  });

  it('spreads a burst of failed messages over every shard, none hot', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 1600; i++)
      counts.set(failedShardOf(`rf_${i.toString(36)}`), (counts.get(failedShardOf(`rf_${i.toString(36)}`)) ?? 0) + 1);
    expect(counts.size).toBe(FAILED_SHARD_COUNT);
    // Even spread is 100 each; no shard should carry double its share.
    expect(Math.max(...counts.values())).toBeLessThan(200);
  });
});

describe('event times', () => {
  // 1770000000 s: the envelope time every unusable occurred_at below falls back to.
  const ENVELOPE_TIME = '2026-02-02T02:40:00.000Z';
  const at = (occurred_at: unknown, time: unknown = 1770000000) =>
    parseMessageEvent(JSON.stringify({ id: 'w', time, payload: { occurred_at } })).occurredAt;

  it.each([
    ['2026-02-03T04:05:06Z', '2026-02-03T04:05:06.000Z'],
    ['2026-02-03T04:05:06.5Z', '2026-02-03T04:05:06.500Z'],
    ['2026-02-03t04:05:06.123456789z', '2026-02-03T04:05:06.123Z'],
    ['2026-02-03T04:05:06.999+02:30', '2026-02-03T01:35:06.999Z'],
    ['2026-02-03T23:05:06-01:00', '2026-02-04T00:05:06.000Z'],
    ['2024-02-29T00:00:00+00:00', '2024-02-29T00:00:00.000Z'],
    ['2022-04-07T22:19:44.985+00:00', '2022-04-07T22:19:44.985Z'],
  ])('reads occurred_at %j as %s', (given, expected) => {
    expect(at(given)).toBe(expected);
  });

  it.each([
    ['5'],
    ['2026'],
    ['2026-02-30'],
    ['2026-02-03'],
    ['2026-02-30T00:00:00Z'],
    ['2023-02-29T00:00:00Z'],
    ['2026-13-01T00:00:00Z'],
    ['2026-00-10T00:00:00Z'],
    ['2026-01-01T24:00:00Z'],
    ['2026-01-01T23:60:00Z'],
    ['2026-01-01T23:59:60Z'],
    ['2026-02-03T04:05:06'],
    ['2026-02-03T04:05Z'],
    ['2026-02-03 04:05:06Z'],
    [' 2026-02-03T04:05:06Z'],
    ['2026-02-03T04:05:06+0200'],
    ['2026-02-03T04:05:06+24:00'],
    ['2026-02-03T04:05:06.1234567890Z'],
    ['+002026-02-03T04:05:06Z'],
    ['1969-12-31T23:59:59Z'],
    ['0085-01-01T00:00:00Z'],
    ['Tue, 03 Feb 2026 04:05:06 GMT'],
    ['2026-02-03T04:05:06Z\n'],
    [1770000000],
  ])('falls back to the envelope time for occurred_at %j', (given) => {
    expect(at(given)).toBe(ENVELOPE_TIME);
  });

  it('takes the envelope time only as epoch seconds: a number or a string of digits', () => {
    expect(at(null, '1770000000')).toBe(ENVELOPE_TIME);
    expect(at(null, ' 1770000000.25 ')).toBe('2026-02-02T02:40:00.250Z');
    for (const time of ['0x6980', '1.77e9', '-5', 'soon', '', true]) expect(at(null, time)).toBeUndefined();
  });

  it(`clamps a time later than the receive time plus ${MAX_CLOCK_SKEW_MS / 60_000} minutes to that`, () => {
    const receivedAt = new Date('2026-05-01T12:00:00.000Z');
    const latest = '2026-05-01T12:05:00.000Z';
    const event = (payload: Record<string, unknown>, time?: number) =>
      parseReceivedEvent(JSON.stringify({ id: 'w', time, payload }), receivedAt);
    expect(event({ occurred_at: '9999-12-31T23:59:59.999Z' }).occurredAt).toBe(latest);
    expect(event({ occurred_at: '2026-05-01T12:05:00.001Z' }).occurredAt).toBe(latest);
    expect(event({}, Date.parse('2100-01-01T00:00:00Z') / 1000).occurredAt).toBe(latest);
    // Within the skew, and in the past, a time is kept as given.
    expect(event({ occurred_at: '2026-05-01T12:04:59.999Z' }).occurredAt).toBe('2026-05-01T12:04:59.999Z');
    expect(event({ occurred_at: '2022-04-07T22:19:44.985Z' }).occurredAt).toBe('2022-04-07T22:19:44.985Z');
    // parseMessageEvent knows no receive time: it clamps nothing.
    expect(at('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
  });

  it('takes the receive time from the ingest attribute, else SQS SentTimestamp, else now; never after now', () => {
    const now = new Date('2026-05-01T12:00:00.000Z');
    const record = (receivedAt?: string, SentTimestamp?: string) => ({
      body: '{}',
      attributes: SentTimestamp === undefined ? {} : { SentTimestamp },
      messageAttributes: receivedAt === undefined ? {} : { receivedAt: { stringValue: receivedAt } },
    });
    const sent = String(Date.parse('2026-05-01T11:00:00.000Z'));
    expect(receivedAtOf(record('2026-05-01T10:00:00.000Z', sent), now).toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(receivedAtOf(record(undefined, sent), now).toISOString()).toBe('2026-05-01T11:00:00.000Z');
    expect(receivedAtOf(record('garbage', sent), now).toISOString()).toBe('2026-05-01T11:00:00.000Z');
    expect(receivedAtOf(record(undefined, '0'), now)).toEqual(now);
    expect(receivedAtOf(record(undefined, 'x'), now)).toEqual(now);
    expect(receivedAtOf({ body: '{}' }, now)).toEqual(now);
    expect(receivedAtOf(record('2030-01-01T00:00:00.000Z'), now)).toEqual(now);
  });
});

describe('byte caps', () => {
  const event = (payload: Record<string, unknown>, id = 'w') => parseMessageEvent(JSON.stringify({ id, payload }));
  const bytes = (s: string | undefined) => Buffer.byteLength(s ?? '', 'utf8');
  const wellFormed = (s: string | undefined) => (s ?? '').isWellFormed();

  it(`cuts event_type and status to ${MAX_BYTES.short} bytes, after lower-casing`, () => {
    const e = event({ event_type: 'x'.repeat(60_000), status: 'İ'.repeat(100) });
    expect(e.eventType).toBe('x'.repeat(MAX_BYTES.short));
    // 'İ' (2 bytes) lower-cases to 'i̇' (3 bytes): 42 of them fit in 128 bytes.
    expect(bytes(e.status)).toBeLessThanOrEqual(MAX_BYTES.short);
    expect(e.status).toBe('i\u0307'.repeat(42) + 'i');
  });

  it(`cuts the numbers within ${MAX_BYTES.field} bytes (below the index key limit) without splitting an emoji`, () => {
    // 1 + 255 × 4 = 1021 bytes; the next emoji would need 1025.
    const e = event({ direction: 'outbound', to_number: `+${'😀'.repeat(400)}`, from_number: '€'.repeat(400) });
    expect(e.toNumber).toBe(`+${'😀'.repeat(255)}`);
    expect(bytes(e.fromNumber)).toBe(1023);
    expect(contactNumberOf(e)).toBe(e.toNumber);
    expect(wellFormed(e.toNumber)).toBe(true);
  });

  it('replaces lone surrogates in every field but the text, and in the ids', () => {
    const raw =
      '{"id":"rfw_\\ud800","payload":{"id":"rf_\\udc00x","event_type":"message.\\ud83d","to_number":"+1\\udfff",' +
      '"carrier_name":"T\\ud800","text":"lone\\ud800"}}';
    const e = parseMessageEvent(raw);
    expect(e.webhookId).toBe('rfw_\ufffd');
    expect(e.messageId).toBe('rf_\ufffdx');
    expect(e.eventType).toBe('message.\ufffd');
    expect(e.toNumber).toBe('+1\ufffd');
    expect(e.failure.carrierName).toBe('T\ufffd');
    expect(e.text).toBe('lone\ud800');
  });

  it(`keeps the text to ${MAX_TEXT_UNITS} UTF-16 units, one fewer rather than split an emoji`, () => {
    expect(event({ text: `${'a'.repeat(MAX_TEXT_UNITS - 1)}😀tail` }).text).toBe('a'.repeat(MAX_TEXT_UNITS - 1));
    expect(event({ text: `${'a'.repeat(MAX_TEXT_UNITS - 2)}😀tail` }).text).toBe(`${'a'.repeat(MAX_TEXT_UNITS - 2)}😀`);
  });

  it('never splits a surrogate pair when cutting to a byte length (any string, any limit)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(200), (value, max) => {
        const cut = cutToUtf8Bytes(value, max);
        expect(value.startsWith(cut)).toBe(true);
        expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
        // The longest such prefix: one more code point would not fit.
        const next = value.codePointAt(cut.length);
        if (next !== undefined)
          expect(Buffer.byteLength(String.fromCodePoint(next)) + Buffer.byteLength(cut)).toBeGreaterThan(max);
        expect(cut.isWellFormed() || !value.isWellFormed()).toBe(true);
        const units = cutToUnits(value, Math.max(1, max % 41));
        expect(value.startsWith(units)).toBe(true);
        expect(units.isWellFormed() || !value.isWellFormed()).toBe(true);
      }),
    );
  });
});
