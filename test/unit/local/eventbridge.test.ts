import { EventBridgeClient, PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalEventBridge, type BusEvent, type EventBridgeActivity } from '../../../local/eventbridge';

// The EventBridge stand-in through the SDK's own client (the wire protocol the publisher uses):
// PutEvents per entry, rules with EventBridge's pattern semantics, delivery with retries and a
// dead-letter queue, TestEventPattern, and the fault hook.

let bridge: LocalEventBridge;
let server: Server;
let client: EventBridgeClient;
const activity: EventBridgeActivity[] = [];

beforeAll(async () => {
  bridge = new LocalEventBridge({ region: 'eu-west-1', accountId: '111122223333', retryDelayMs: 1 });
  bridge.createBus('orders');
  bridge.onActivity((a) => activity.push(a));
  server = createServer(bridge.handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new EventBridgeClient({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterEach(() => {
  delete bridge.fault;
  activity.length = 0;
});

const entry = (detail: unknown, bus = 'orders', detailType = 'Order Placed') => ({
  Source: 'shop',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  EventBusName: bus,
  Time: new Date('2026-11-25T01:02:03.456Z'),
});

describe('PutEvents', () => {
  it('puts each entry on its bus (by name or ARN) as an EventBridge event, and answers per entry', async () => {
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ n: 1 }),
          entry({ n: 2 }, bridge.busArn('orders')),
          entry({ n: 3 }, 'nowhere'),
          { ...entry({}), Detail: '[1]' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'ok',
      'ResourceNotFoundException',
      'MalformedDetail',
    ]);
    const put = activity.filter((a): a is Extract<EventBridgeActivity, { kind: 'put' }> => a.kind === 'put');
    expect(put.map((p) => p.event.detail)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(put[0]!.event).toMatchObject({
      version: '0',
      'detail-type': 'Order Placed',
      source: 'shop',
      account: '111122223333',
      region: 'eu-west-1',
      time: '2026-11-25T01:02:03Z',
      resources: [],
    });
    expect(put[0]!.event.id).toBe(out.Entries?.[0]?.EventId);
  });

  it('refuses more than 10 entries as the service does', async () => {
    await expect(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, (_, i) => entry({ i })) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('fails a call or refuses entries when the fault hook says so', async () => {
    bridge.fault = () => ({ kind: 'error', status: 500, type: 'InternalException', message: 'injected' });
    await expect(client.send(new PutEventsCommand({ Entries: [entry({})] }))).rejects.toMatchObject({
      name: 'InternalException',
      $metadata: { httpStatusCode: 500 },
    });
    bridge.fault = () => ({
      kind: 'refuse',
      entry: (_e, i) => (i === 1 ? { code: 'ThrottlingException', message: 'slow down' } : undefined),
    });
    const out = await client.send(new PutEventsCommand({ Entries: [entry({ a: 1 }), entry({ b: 2 })] }));
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['ok', 'ThrottlingException']);
    expect(activity.filter((a) => a.kind === 'put')).toHaveLength(1);
  });
});

describe('rules', () => {
  it('deliver each matching event to their targets, in order, and nothing else', async () => {
    const got: BusEvent[] = [];
    const arn = 'arn:aws:events:eu-west-1:111122223333:rule/orders/big';
    bridge.putRule({
      name: 'big',
      arn,
      busName: 'orders',
      pattern: { source: ['shop'], detail: { total: [{ numeric: ['>=', 100] }] } },
      enabled: true,
      targets: [{ id: 't', arn: 'q', deliver: async (e) => void got.push(JSON.parse(e) as BusEvent) }],
    });
    await client.send(
      new PutEventsCommand({ Entries: [entry({ total: 150 }), entry({ total: 5 }), entry({ total: 100 })] }),
    );
    await client.send(new PutEventsCommand({ Entries: [entry({ total: 500 }, 'default')] }));
    await bridge.idle();
    expect(got.map((e) => e.detail)).toEqual([{ total: 150 }, { total: 100 }]);
    bridge.removeRule(arn);
  });

  it('retry a failing delivery, then give the event to the dead-letter queue with the error', async () => {
    const arn = 'arn:aws:events:eu-west-1:111122223333:rule/orders/broken';
    let attempts = 0;
    const dead: [string, string][] = [];
    bridge.putRule({
      name: 'broken',
      arn,
      busName: 'orders',
      pattern: { source: ['shop'] },
      enabled: true,
      targets: [
        {
          id: 't',
          arn: 'q',
          deliver: async () => {
            attempts++;
            throw new Error('queue gone');
          },
          deadLetter: async (e, error) => void dead.push([e, error]),
        },
      ],
    });
    await client.send(new PutEventsCommand({ Entries: [entry({ x: 1 })] }));
    await bridge.idle();
    expect(attempts).toBe(3);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]![0])).toMatchObject({ detail: { x: 1 } });
    expect(dead[0]![1]).toBe('Error: queue gone');
    expect(activity).toContainEqual({ kind: 'dead-letter', rule: 'broken', target: 'q', error: 'Error: queue gone' });
    bridge.removeRule(arn);
  });

  it('refuse a rule with an invalid pattern', () => {
    expect(() =>
      bridge.putRule({ name: 'bad', arn: 'x', busName: 'orders', pattern: { a: 'b' }, enabled: true, targets: [] }),
    ).toThrow(/invalid event pattern: a: values must be in a list/);
  });
});

describe('TestEventPattern', () => {
  it('answers whether an event matches, with the same matcher as the rules', async () => {
    const event = JSON.stringify({ source: 'shop', detail: { status: 'failed' } });
    const yes = await client.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"status":[{"prefix":"fail"}]}}', Event: event }),
    );
    const no = await client.send(
      new TestEventPatternCommand({ EventPattern: '{"detail":{"status":["sent"]}}', Event: event }),
    );
    expect([yes.Result, no.Result]).toEqual([true, false]);
    await expect(
      client.send(new TestEventPatternCommand({ EventPattern: '{"detail":{"status":"sent"}}', Event: event })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
