import { FAILURE_STATUSES } from '../../../../lambda/consumer/state-rules';
import { detailTypeOf, STATUS_DETAIL_TYPES } from '../../../../lambda/common/status-events';
import { statusChangeOf, type StreamImage } from '../../../../lambda/publisher/transition';

const s = (value: string) => ({ S: value });

/** An item as the consumer leaves it after a state write. */
function image(fields: Record<string, string>): StreamImage {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, s(v)]));
}

const sent = image({
  messageId: 'rf_1',
  webhookId: 'rfw_sent',
  stateKey: '2#2026-11-25T01:00:00.000Z#rfw_sent',
  status: 'sent',
  eventType: 'message.sent',
  occurredAt: '2026-11-25T01:00:00.000Z',
  direction: 'outbound',
  fromNumber: '+15555550100',
  toNumber: '+15555550123',
  messageAppId: 'app_1',
  messageType: 'SMS',
  text: 'not in the event',
  updatedAt: '2026-11-25T01:00:02.000Z',
});
const failed = image({
  ...Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, String(v?.['S'])])),
  webhookId: 'rfw_failed',
  stateKey: '3#2026-11-25T01:00:05.000Z#rfw_failed',
  status: 'failed',
  eventType: 'message.finalized',
  occurredAt: '2026-11-25T01:00:05.000Z',
  errorCode: '702',
  carrierName: 'Carrier',
});

describe('statusChangeOf', () => {
  it('makes a message’s first state (an INSERT) a change without a previous status', () => {
    const change = statusChangeOf({ eventName: 'INSERT', dynamodb: { NewImage: sent } });
    expect(change).toEqual({
      detailType: 'Message Sent',
      detail: {
        schemaVersion: 1,
        messageId: 'rf_1',
        webhookId: 'rfw_sent',
        status: 'sent',
        eventType: 'message.sent',
        occurredAt: '2026-11-25T01:00:00.000Z',
        direction: 'outbound',
        fromNumber: '+15555550100',
        toNumber: '+15555550123',
        messageAppId: 'app_1',
        messageType: 'SMS',
      },
    });
  });

  it('makes a winning write that changes the status a change, with the previous status and the failure details', () => {
    const change = statusChangeOf({ eventName: 'MODIFY', dynamodb: { OldImage: sent, NewImage: failed } });
    expect(change?.detailType).toBe('Message Failed');
    expect(change?.detail).toMatchObject({
      webhookId: 'rfw_failed',
      status: 'failed',
      previousStatus: 'sent',
      errorCode: '702',
      carrierName: 'Carrier',
    });
  });

  it('makes a first state after history-only writes (an item without stateKey) a change', () => {
    const historyOnly = image({ messageId: 'rf_1', updatedAt: '2026-11-25T01:00:00.000Z' });
    expect(statusChangeOf({ eventName: 'MODIFY', dynamodb: { OldImage: historyOnly, NewImage: sent } })).toBeDefined();
  });

  it('ignores a history write: the state key did not move', () => {
    const withHistory = image({
      ...Object.fromEntries(Object.entries(sent).map(([k, v]) => [k, String(v?.['S'])])),
      updatedAt: 'later',
    });
    expect(
      statusChangeOf({ eventName: 'MODIFY', dynamodb: { OldImage: sent, NewImage: withHistory } }),
    ).toBeUndefined();
  });

  it('ignores a state that wins with the status the message already had', () => {
    const laterSent = { ...sent, webhookId: s('rfw_sent2'), stateKey: s('2#2026-11-25T01:00:01.000Z#rfw_sent2') };
    expect(statusChangeOf({ eventName: 'MODIFY', dynamodb: { OldImage: sent, NewImage: laterSent } })).toBeUndefined();
  });

  it('ignores a state without a status, and makes the next state with one a change without a previous status', () => {
    const { status: _status, ...noStatus } = sent;
    expect(statusChangeOf({ eventName: 'INSERT', dynamodb: { NewImage: noStatus } })).toBeUndefined();
    const change = statusChangeOf({ eventName: 'MODIFY', dynamodb: { OldImage: noStatus, NewImage: failed } });
    expect(change?.detail.status).toBe('failed');
    expect(change?.detail.previousStatus).toBeUndefined();
  });

  it('ignores removals (TTL) and images missing what an event needs, without throwing', () => {
    expect(statusChangeOf({ eventName: 'REMOVE', dynamodb: { OldImage: sent } })).toBeUndefined();
    const { occurredAt: _o, ...noTime } = sent;
    expect(statusChangeOf({ eventName: 'INSERT', dynamodb: { NewImage: noTime } })).toBeUndefined();
    expect(
      statusChangeOf({ eventName: 'INSERT', dynamodb: { NewImage: { ...sent, status: { N: '5' } } } }),
    ).toBeUndefined();
    expect(statusChangeOf({ eventName: 'INSERT' })).toBeUndefined();
  });
});

describe('detailTypeOf', () => {
  it('names an inbound message Message Received whatever its status', () => {
    expect(detailTypeOf('message.received', 'webhook_delivered')).toBe('Message Received');
  });

  it('names every failure status of the failed index Message Failed, and only those', () => {
    for (const status of FAILURE_STATUSES) expect(detailTypeOf('message.finalized', status)).toBe('Message Failed');
    for (const status of ['delivered', 'sent', 'queued', 'sending', 'delivery_unconfirmed', 'webhook_delivered'])
      expect(detailTypeOf('message.finalized', status)).not.toBe('Message Failed');
  });

  it('names the known statuses, and any other one Message Status Changed', () => {
    expect(detailTypeOf('message.sent', 'sent')).toBe('Message Sent');
    expect(detailTypeOf('message.finalized', 'delivered')).toBe('Message Delivered');
    expect(detailTypeOf('message.finalized', 'delivery_unconfirmed')).toBe('Message Delivery Unconfirmed');
    expect(detailTypeOf('message.sent', 'queued')).toBe('Message Queued');
    expect(detailTypeOf('message.sent', 'sending')).toBe('Message Sending');
    expect(detailTypeOf('message.sent', 'constructor')).toBe('Message Status Changed');
    expect(detailTypeOf('message.sent', 'webhook_delivered')).toBe('Message Status Changed');
  });

  it('only ever answers a detail-type of the schema', () => {
    const seen = new Set(
      ['received', 'sent', 'delivered', 'failed', 'expired', 'queued', 'sending', 'x', 'delivery_unconfirmed'].flatMap(
        (status) => ['message.received', 'message.sent', 'message.finalized'].map((t) => detailTypeOf(t, status)),
      ),
    );
    expect([...seen].every((t) => (STATUS_DETAIL_TYPES as readonly string[]).includes(t))).toBe(true);
    expect(seen.size).toBe(STATUS_DETAIL_TYPES.length);
  });
});
