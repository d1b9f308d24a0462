import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import type { MessageStatusEvent } from '../../../lambda/common/status-events';
import { SIGNATURE_HEADER, signBody } from '../../../lambda/common/signature';
import type { BusEvent } from '../../../local/eventbridge';
import type { LocalStackEvent } from '../../../local/model';
import { localStackFileOf } from '../../../local/stack-file';
import type { StreamBatchOutcome } from '../../../local/stream-event-source';
import { testKeyPair } from '../../helpers/keys';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { statusEventValidator } from '../../helpers/status-schema';

// Status events end to end on the product's own template: signed webhooks in, the consumer's
// writes, the table's stream, the publisher, the EventBridge stand-in and a configured rule's
// queue. Each test uses messages of its own, and waits for what it checks.

/** The publisher's timeout here: short, so that its own retries give up, and a hang ends, quickly. */
const PUBLISHER_TIMEOUT_SECONDS = 3;

const newId = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Webhook {
  readonly webhookId: string;
  readonly raw: string;
}

function webhook(
  messageId: string,
  eventType: string,
  status: string,
  occurredAt: string,
  extra: Record<string, unknown> = {},
): Webhook {
  const webhookId = newId('rfw');
  const inbound = eventType === 'message.received';
  const raw = JSON.stringify({
    type: 'messaging',
    id: webhookId,
    payload: {
      event_type: eventType,
      id: inbound ? null : messageId,
      message_app_id: messageId,
      status,
      occurred_at: occurredAt,
      direction: inbound ? 'inbound' : 'outbound',
      to_number: '+15555550123',
      from_number: '+15555550100',
      text: 'events test',
      ...extra,
    },
  });
  return { webhookId, raw };
}

describe('status events on the local stack', () => {
  const key = testKeyPair('events');
  const validate = statusEventValidator();
  /** Every event put on a bus, in order. */
  const puts: BusEvent[] = [];
  const streamBatches: StreamBatchOutcome[] = [];
  let product: ProductStack;

  const eventsOf = (messageId: string) =>
    puts.filter((e) => (e.detail as { messageId?: string }).messageId === messageId) as unknown as MessageStatusEvent[];

  async function post(hook: Webhook): Promise<void> {
    const res = await fetch(product.stack.webhookUrl ?? 'http://127.0.0.1:9/none', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, hook.raw) },
      body: hook.raw,
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  }

  async function waitFor<T>(
    what: string,
    probe: () => T | undefined | Promise<T | undefined>,
    ms = 20_000,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  async function historyIds(messageId: string): Promise<string[]> {
    const out = await product.aws.dynamodb.send(
      new GetItemCommand({
        TableName: product.aws.tableName(),
        Key: { messageId: { S: messageId } },
        ConsistentRead: true,
      }),
    );
    return (out.Item?.['history']?.L ?? []).map((e) => e.M?.['webhookId']?.S ?? '');
  }

  /** Posts and waits until the consumer recorded the event in its message's history. */
  async function apply(messageId: string, hook: Webhook): Promise<void> {
    await post(hook);
    await waitFor(`${hook.webhookId} in the history of ${messageId}`, async () =>
      (await historyIds(messageId)).includes(hook.webhookId) ? true : undefined,
    );
  }

  /** Waits until the publisher has read every stream record written so far, and every delivery ended. */
  async function settle(): Promise<void> {
    await sleep(300);
    const seen = streamBatches.length;
    await sleep(700);
    if (streamBatches.length !== seen) return settle();
    await product.stack.eventbridge.idle();
  }

  /** Every message on a queue, deleted as read. */
  async function drain(queueKey: string): Promise<MessageStatusEvent[]> {
    const url = product.aws.queueUrl(queueKey);
    const bodies: MessageStatusEvent[] = [];
    for (;;) {
      const out = await product.aws.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = out.Messages ?? [];
      if (messages.length === 0) return bodies;
      bodies.push(...messages.map((m) => JSON.parse(m.Body ?? '{}') as MessageStatusEvent));
      await product.aws.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-local-events',
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        eventRules: JSON.stringify([{ name: 'failures', pattern: { detail: { status: ['failed'] } } }]),
      },
      stack: {
        functionTimeouts: { publisher: PUBLISHER_TIMEOUT_SECONDS },
        onEvent: (event: LocalStackEvent) => {
          if (event.kind === 'stream') streamBatches.push(event);
        },
      },
    });
    product.stack.eventbridge.onActivity((activity) => {
      if (activity.kind === 'put') puts.push(activity.event);
    });
  }, 120_000);

  afterAll(async () => {
    await product?.stop();
  });

  afterEach(() => {
    delete product.stack.faults.eventbridge;
  });

  test("a message's sent, delivered, a duplicate and a stale event make exactly two events, in transition order", async () => {
    const messageId = newId('rf');
    const sent = webhook(messageId, 'message.sent', 'sent', '2026-11-25T01:00:00.000Z');
    const delivered = webhook(messageId, 'message.finalized', 'delivered', '2026-11-25T01:00:02.000Z');
    const stale = webhook(messageId, 'message.sent', 'sent', '2026-11-25T01:00:01.000Z');
    await apply(messageId, sent);
    await apply(messageId, delivered);
    await post(delivered); // Volt's retry: the same webhook id
    await apply(messageId, stale);
    await settle();
    const events = eventsOf(messageId);
    expect(events.map((e) => [e['detail-type'], e.detail.status, e.detail.previousStatus, e.detail.webhookId])).toEqual(
      [
        ['Message Sent', 'sent', undefined, sent.webhookId],
        ['Message Delivered', 'delivered', 'sent', delivered.webhookId],
      ],
    );
    expect(events[1]!.detail).toMatchObject({
      messageId,
      eventType: 'message.finalized',
      direction: 'outbound',
      toNumber: '+15555550123',
      fromNumber: '+15555550100',
      occurredAt: '2026-11-25T01:00:02.000Z',
    });
    expect(events.every((e) => e.source === 'volt-sms-webhooks')).toBe(true);
  }, 60_000);

  test('a rule on failures receives only failures, with their details', async () => {
    const failing = newId('rf');
    const delivering = newId('rf');
    const inbound = newId('rf');
    await apply(failing, webhook(failing, 'message.sent', 'sent', '2026-11-25T02:00:00.000Z'));
    const failed = webhook(failing, 'message.finalized', 'failed', '2026-11-25T02:00:01.000Z', {
      error_code: 702,
      provider_error_title: 'Blocked as spam',
      carrier_name: 'Carrier',
    });
    await apply(failing, failed);
    await apply(delivering, webhook(delivering, 'message.sent', 'sent', '2026-11-25T02:00:00.000Z'));
    await apply(delivering, webhook(delivering, 'message.finalized', 'delivered', '2026-11-25T02:00:01.000Z'));
    await apply(inbound, webhook(inbound, 'message.received', 'webhook_delivered', '2026-11-25T02:00:02.000Z'));
    await settle();
    expect(eventsOf(inbound).map((e) => e['detail-type'])).toEqual(['Message Received']);
    expect(eventsOf(delivering)).toHaveLength(2);
    const received = await drain('failures');
    expect(received.map((e) => [e['detail-type'], e.detail.messageId, e.detail.webhookId])).toEqual([
      ['Message Failed', failing, failed.webhookId],
    ]);
    expect(received[0]!.detail).toMatchObject({
      status: 'failed',
      previousStatus: 'sent',
      errorCode: '702',
      providerErrorTitle: 'Blocked as spam',
      carrierName: 'Carrier',
    });
    expect(await drain('failuresDlq')).toEqual([]);
  }, 60_000);

  test('entries EventBridge refuses are sent again by the publisher and put exactly once', async () => {
    const messageId = newId('rf');
    // The first two attempts at this message's entry are refused (FailedEntryCount), the third accepted.
    let attempts = 0;
    product.stack.faults.eventbridge = () => ({
      kind: 'refuse',
      entry: (entry) => {
        if (!entry.Detail?.includes(messageId)) return undefined;
        attempts++;
        return attempts <= 2 ? { code: 'InternalFailure', message: 'injected refusal' } : undefined;
      },
    });
    const sent = webhook(messageId, 'message.sent', 'sent', '2026-11-25T03:00:00.000Z');
    await apply(messageId, sent);
    await waitFor('the event put', () => (eventsOf(messageId).length > 0 ? true : undefined));
    await settle();
    expect(attempts).toBe(3);
    expect(eventsOf(messageId).map((e) => e.detail.webhookId)).toEqual([sent.webhookId]);
  }, 60_000);

  test('a put failing longer than the publisher retries is retried by the stream mapping, then put exactly once', async () => {
    const messageId = newId('rf');
    const before = streamBatches.length;
    product.stack.faults.eventbridge = () => ({
      kind: 'error',
      status: 500,
      type: 'InternalException',
      message: 'injected outage',
    });
    const sent = webhook(messageId, 'message.sent', 'sent', '2026-11-25T04:00:00.000Z');
    const failed = webhook(messageId, 'message.finalized', 'failed', '2026-11-25T04:00:01.000Z');
    await apply(messageId, sent);
    await apply(messageId, failed);
    // The publisher gave up within its invocation and reported the batch: Lambda retries it, twice here.
    await waitFor('two failed publisher batches', () =>
      streamBatches.slice(before).filter((b) => b.error !== undefined).length >= 2 ? true : undefined,
    );
    expect(eventsOf(messageId)).toEqual([]);
    delete product.stack.faults.eventbridge;
    await waitFor('both events put', () => (eventsOf(messageId).length >= 2 ? true : undefined));
    await settle();
    expect(eventsOf(messageId).map((e) => [e['detail-type'], e.detail.webhookId])).toEqual([
      ['Message Sent', sent.webhookId],
      ['Message Failed', failed.webhookId],
    ]);
    expect((await drain('failures')).map((e) => e.detail.webhookId)).toEqual([failed.webhookId]);
  }, 90_000);

  test('a publisher that dies mid-put (timed out) is retried by the stream mapping, then puts exactly once', async () => {
    const messageId = newId('rf');
    const before = streamBatches.length;
    product.stack.faults.eventbridge = () => ({ kind: 'hang' });
    const sent = webhook(messageId, 'message.sent', 'sent', '2026-11-25T05:00:00.000Z');
    await apply(messageId, sent);
    await waitFor(
      'a publisher timeout',
      () => (streamBatches.slice(before).some((b) => /Timedout/.test(b.error ?? '')) ? true : undefined),
      30_000,
    );
    delete product.stack.faults.eventbridge;
    await waitFor('the event put', () => (eventsOf(messageId).length > 0 ? true : undefined), 30_000);
    await settle();
    expect(eventsOf(messageId).map((e) => e.detail.webhookId)).toEqual([sent.webhookId]);
  }, 90_000);

  test('every event emitted validates against the schema', () => {
    expect(puts.length).toBeGreaterThanOrEqual(10);
    for (const event of puts) {
      const ok = validate(event);
      expect({ id: event.id, ok, errors: validate.errors ?? null }).toEqual({ id: event.id, ok: true, errors: null });
    }
  });

  test('.local/stack.json lists the rule queue and its DLQ under queueUrls by rule name, and the EventBridge endpoint', () => {
    const file = localStackFileOf(product.stack, { graphqlUrl: 'http://127.0.0.1:4010/graphql', token: 't' }, 'k.pem');
    expect(file.queueUrls['failures']).toBe(product.aws.queueUrl('failures'));
    expect(file.queueUrls['failuresDlq']).toBe(product.aws.queueUrl('failuresDlq'));
    expect(file.eventbridgeEndpoint).toBe(product.stack.endpoints.eventbridge);
    const publisher = [...product.stack.functions.values()].find((f) => f.definition.displayName === 'publisher');
    expect(publisher?.definition.environment['AWS_ENDPOINT_URL_EVENTBRIDGE']).toBe(product.stack.endpoints.eventbridge);
  });
});
