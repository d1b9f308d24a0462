import { SendMessageBatchCommand, SetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { randomBytes, randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signBody } from '../../../lambda/common/signature';
import { REGISTRATION_RESOURCE_TYPE } from '../../../lib/template-contract';
import type { BatchOutcome } from '../../../local/event-source';
import type { LocalStack } from '../../../local/stack';
import { startVoltSimulator, type VoltSimulator } from '../../../local/volt-simulator';
import { vendorEvent } from '../../helpers/fixtures';
import { testKeyPair } from '../../helpers/keys';
import { stringAttributes, takeAll as takeAllFrom, type Item, type LocalAwsClients } from '../../helpers/local-aws';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { waiter } from '../../helpers/wait';

// The whole pipeline as `npm start` runs it: the product's synthesized template on the local
// stack, registered with the Volt simulator, driven over HTTP and read back through the AWS SDK.

const SECRET_NAME = 'volt/pipeline-test-token';
const VENDOR_MESSAGE_ID = 'rf_o6aDxhawR227gt5wgZ2I';
const VENDOR_INBOUND_ID = 'c7fdc0ba-f3df-4e30-a7fc-397940a6f675';
const SUBSCRIBERS = [
  { name: 'crm', eventTypes: ['message.received'] },
  { name: 'tracking', eventTypes: ['message.sent', 'message.finalized'] },
  { name: 'audit' },
];

/** A webhook event id shaped like Volt's, so every test's events are distinct from the others'. */
const newWebhookId = () => `rfw_6962ccb5_${randomBytes(16).toString('hex')}`;

/** A vendor example with fresh ids, so it is a new event (and, with `messageId`, a new message). */
function variant(
  name: string,
  ids: { webhookId?: string; messageId?: string; messageAppId?: string } = {},
): { raw: string; webhookId: string } {
  const json = structuredClone(vendorEvent(name).json) as { id: string; payload: Record<string, unknown> };
  json.id = ids.webhookId ?? newWebhookId();
  if (ids.messageId !== undefined) json.payload['id'] = ids.messageId;
  if (ids.messageAppId !== undefined) json.payload['message_app_id'] = ids.messageAppId;
  return { raw: JSON.stringify(json), webhookId: json.id };
}

const s = (item: Item | undefined, name: string) => item?.[name]?.S;

/** `history` as plain objects, ordered by webhook id: arrival order within a batch is not defined. */
function historyOf(item: Item | undefined): Record<string, string | undefined>[] {
  return (item?.['history']?.L ?? [])
    .map((entry) => {
      const m = entry.M ?? {};
      return {
        webhookId: m['webhookId']?.S,
        eventType: m['eventType']?.S,
        status: m['status']?.S,
        occurredAt: m['occurredAt']?.S,
      };
    })
    .sort((a, b) => String(a.webhookId).localeCompare(String(b.webhookId)));
}

describe('local pipeline: Volt webhooks to DynamoDB items, subscribers and the DLQ', () => {
  const key = testKeyPair('local-pipeline');
  const stranger = testKeyPair('not-volt');
  const batches: BatchOutcome[] = [];
  let volt: VoltSimulator;
  let product: ProductStack;
  let stack: LocalStack;
  let aws: LocalAwsClients;

  const post = (body: string, signature?: string) =>
    fetch(stack.webhookUrl ?? 'http://127.0.0.1:9/no-webhook-url', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature !== undefined ? { [SIGNATURE_HEADER]: signature } : {}),
      },
      body,
    });
  const postSigned = (body: string) => post(body, signBody(key.privateKey, body));

  const waitFor = waiter({ timeoutMs: 15_000 });
  const getItem = (messageId: string) => aws.getItem(messageId);
  const queueDepth = (url: string) => aws.queueDepth(url);

  /** Waits until the consumer has taken everything off the state queue (deleted, so processed). */
  const stateQueueDrained = () =>
    waitFor('the state queue to drain', async () =>
      (await queueDepth(aws.queueUrl('state'))) === 0 ? true : undefined,
    );

  const takeAll = (url: string): Promise<Message[]> => takeAllFrom(aws.sqs, url);

  beforeAll(async () => {
    // The simulator comes first: its URL goes into the template, as Volt's API URL would.
    volt = await startVoltSimulator({ port: 0, privateKeyPem: key.privatePem });
    product = await startProductStack({
      name: 'volt-local-pipeline',
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        voltApiUrl: volt.graphqlUrl,
        voltApiTokenSecret: SECRET_NAME,
        subscribers: JSON.stringify(SUBSCRIBERS),
      },
      stack: {
        secrets: { [SECRET_NAME]: volt.token },
        onEvent: (event) => {
          if (event.kind === 'batch') batches.push(event);
        },
      },
    });
    ({ stack, aws } = product);
  }, 120_000);

  afterAll(async () => {
    // The stack first: deleting its registration custom resource calls the simulator.
    await product?.stop();
    await volt?.stop();
  });

  test('the registration custom resource registered the stack webhook URL with the simulator', () => {
    expect(stack.customResources.map((c) => c.type)).toContain(REGISTRATION_RESOURCE_TYPE);
    expect(volt.listWebhooks().map((w) => w.url)).toEqual([stack.webhookUrl]);
  });

  describe('the vendor example events, signed with the local key', () => {
    let outboundBefore: Item | undefined;

    test('message.sent then message.finalized (delivered) make one delivered outbound item with both events in history', async () => {
      for (const name of ['message-sent', 'message-delivered'])
        expect((await postSigned(vendorEvent(name).raw)).status).toBe(200);
      const item = await waitFor('the delivered vendor message', async () => {
        const found = await getItem(VENDOR_MESSAGE_ID);
        return historyOf(found).length === 2 ? found : undefined;
      });
      await stateQueueDrained();
      outboundBefore = await getItem(VENDOR_MESSAGE_ID);

      expect(outboundBefore).toEqual(item);
      expect({
        ...stringAttributes(item, [
          'status',
          'eventType',
          'direction',
          'fromNumber',
          'toNumber',
          'messageAppId',
          'occurredAt',
          'text',
          'encoding',
        ]),
        // A number (N) attribute, not a string one.
        parts: item?.['parts']?.N,
      }).toEqual({
        status: 'delivered',
        eventType: 'message.finalized',
        direction: 'outbound',
        fromNumber: '+15555550145',
        toNumber: '+15555550123',
        messageAppId: '40318006-1cae-4997-acbc-fe9a4aadb7dd',
        occurredAt: '2022-04-07T22:19:46.119Z',
        text: 'Sending a message to myself to demonstrate using the GraphQL API',
        encoding: 'GSM-7',
        parts: '1',
      });
      for (const field of [
        'errorCode',
        'providerErrorCode',
        'providerErrorTitle',
        'providerErrorDetail',
        'carrierName',
      ])
        expect(item?.[field]).toBeUndefined();
      expect(historyOf(item)).toEqual(
        [
          {
            webhookId: 'rfw_6962ccb5_e41a61024d9a4a61817e7220fbcbf6b4',
            eventType: 'message.sent',
            status: 'sent',
            occurredAt: '2022-04-07T22:19:44.985Z',
          },
          {
            webhookId: 'rfw_6962ccb5_eb7654690ec04a0593cc645fd2353995',
            eventType: 'message.finalized',
            status: 'delivered',
            occurredAt: '2022-04-07T22:19:46.119Z',
          },
        ].sort((a, b) => a.webhookId.localeCompare(b.webhookId)),
      );
    });

    test('the failed example repeats the delivered example webhook id, so it is accepted and changes nothing', async () => {
      // The vendor documents both examples under one envelope id: by the state rules a webhook id
      // already applied is a no-op, whatever the body says.
      expect(outboundBefore).toBeDefined();
      expect((await postSigned(vendorEvent('message-failed').raw)).status).toBe(200);
      await stateQueueDrained();
      const after = await getItem(VENDOR_MESSAGE_ID);
      expect(after).toEqual(outboundBefore);
      expect(s(after, 'status')).toBe('delivered');
      expect(after?.['updatedAt']).toEqual(outboundBefore?.['updatedAt']);
    });

    test('the failed example under its own webhook and message id ends failed with its error fields', async () => {
      const failedId = 'rf_failedExample00001';
      const { raw, webhookId } = variant('message-failed', { messageId: failedId, messageAppId: randomUUID() });
      expect((await postSigned(raw)).status).toBe(200);
      const item = await waitFor('the failed message', () => getItem(failedId));
      expect(
        stringAttributes(item, [
          'status',
          'eventType',
          'direction',
          'fromNumber',
          'toNumber',
          'errorCode',
          'providerErrorCode',
          'providerErrorTitle',
          'providerErrorDetail',
          'carrierName',
        ]),
      ).toEqual({
        status: 'failed',
        eventType: 'message.finalized',
        direction: 'outbound',
        fromNumber: '+15555550145',
        toNumber: '+15555550123',
        errorCode: '702',
        providerErrorCode: '40002',
        providerErrorTitle: 'Blocked as spam - temporary',
        providerErrorDetail:
          'The message was flagged by a SPAM filter and was not delivered. This is a temporary condition.',
        carrierName: 'T-MOBILE USA, INC.',
      });
      // A failed message is in the failed-by-time index.
      expect(s(item, 'failedShard')).toMatch(/^failed#\d\d$/);
      expect(historyOf(item)).toEqual([
        { webhookId, eventType: 'message.finalized', status: 'failed', occurredAt: '2022-04-07T22:19:46.119Z' },
      ]);
    });

    test('message.received makes an inbound item keyed by message_app_id (its payload id is null)', async () => {
      expect((await postSigned(vendorEvent('message-received').raw)).status).toBe(200);
      const item = await waitFor('the inbound message', () => getItem(VENDOR_INBOUND_ID));
      expect(
        stringAttributes(item, [
          'status',
          'eventType',
          'direction',
          'fromNumber',
          'toNumber',
          'messageAppId',
          'text',
          'occurredAt',
        ]),
      ).toEqual({
        status: 'webhook_delivered',
        eventType: 'message.received',
        direction: 'inbound',
        fromNumber: '+15555550145',
        toNumber: '+15555550123',
        messageAppId: VENDOR_INBOUND_ID,
        text: 'Replying to message from handset',
        occurredAt: '2022-04-07T22:21:04.397Z',
      });
      expect(item?.['errorCode']).toBeUndefined();
      expect(historyOf(item)).toEqual([
        {
          webhookId: 'rfw_6962ccb5_80d23dc13c024d38873534471681379c',
          eventType: 'message.received',
          status: 'webhook_delivered',
          occurredAt: '2022-04-07T22:21:04.397Z',
        },
      ]);
    });
  });

  test('a bad signature gets 401 and stores nothing, while a correctly signed event posted after it is stored', async () => {
    const forgedAppId = randomUUID();
    const forged = variant('message-received', { messageAppId: forgedAppId });
    const tampered = forged.raw.replace('Replying to message from handset', 'Replying to message from handset!');
    expect((await post(forged.raw)).status).toBe(401);
    expect((await post(forged.raw, signBody(stranger.privateKey, forged.raw))).status).toBe(401);
    expect((await post(tampered, signBody(key.privateKey, forged.raw))).status).toBe(401);

    const controlAppId = randomUUID();
    expect((await postSigned(variant('message-received', { messageAppId: controlAppId }).raw)).status).toBe(200);
    await waitFor('the correctly signed event', () => getItem(controlAppId));
    await stateQueueDrained();
    expect(await getItem(forgedAppId)).toBeUndefined();
  });

  test('simulator createMessage, with duplicates and reordering on: one message ends delivered, one failed, each distinct event once in history', async () => {
    const mark = volt.deliveries.length;
    volt.setDeliveryOptions({ duplicates: 2, reorder: true });
    const createMessage = async (to: string): Promise<{ id: string; status: string }> => {
      const response = await fetch(volt.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${volt.token}` },
        body: JSON.stringify({
          query:
            'mutation ($to: String!, $from: String!, $body: String!) { createMessage(to: $to, from: $from, body: $body) { id status } }',
          variables: { to, from: '+15555550100', body: `pipeline test to ${to}` },
        }),
      });
      const json = (await response.json()) as {
        data?: { createMessage?: { id: string; status: string } };
        errors?: unknown;
      };
      if (!json.data?.createMessage) throw new Error(`createMessage failed: ${JSON.stringify(json.errors)}`);
      return json.data.createMessage;
    };
    try {
      const ok = await createMessage('+15555550123');
      const bad = await createMessage('+15555550666');
      expect([ok.status, bad.status]).toEqual(['queued', 'queued']);

      await volt.idle();
      const isFinal = (item: Item | undefined, status: string) =>
        s(item, 'status') === status && historyOf(item).length === 2 ? item : undefined;
      await waitFor('the delivered message', async () => isFinal(await getItem(ok.id), 'delivered'));
      await waitFor('the failed message', async () => isFinal(await getItem(bad.id), 'failed'));
      await stateQueueDrained();

      // The conditions really were on: every event reached the ingest three times, and finalized ones went first.
      const posted = volt.deliveries.slice(mark);
      const firstTries = posted.filter((d) => d.kind === 'event');
      expect(posted.every((d) => d.ok && d.status === 200)).toBe(true);
      expect(firstTries.map((d) => d.eventType).sort()).toEqual([
        'message.finalized',
        'message.finalized',
        'message.sent',
        'message.sent',
      ]);
      expect(firstTries[0]?.eventType).toBe('message.finalized');
      expect(posted.filter((d) => d.kind === 'duplicate')).toHaveLength(2 * firstTries.length);

      const delivered = await getItem(ok.id);
      const failed = await getItem(bad.id);
      expect([
        s(delivered, 'status'),
        s(delivered, 'eventType'),
        s(delivered, 'toNumber'),
        s(delivered, 'errorCode'),
      ]).toEqual(['delivered', 'message.finalized', '+15555550123', undefined]);
      expect(
        stringAttributes(failed, [
          'status',
          'eventType',
          'toNumber',
          'errorCode',
          'providerErrorCode',
          'providerErrorTitle',
          'providerErrorDetail',
          'carrierName',
        ]),
      ).toEqual({
        status: 'failed',
        eventType: 'message.finalized',
        toNumber: '+15555550666',
        errorCode: '702',
        providerErrorCode: '40002',
        providerErrorTitle: 'Blocked as spam - temporary',
        providerErrorDetail:
          'The message was flagged by a SPAM filter and was not delivered. This is a temporary condition.',
        carrierName: 'T-MOBILE USA, INC.',
      });
      // Each distinct event once: two per message, and together exactly the events the simulator sent.
      for (const [item, final] of [
        [delivered, 'delivered'],
        [failed, 'failed'],
      ] as const) {
        expect(
          historyOf(item)
            .map((h) => `${h.eventType}:${h.status}`)
            .sort(),
        ).toEqual([`message.finalized:${final}`, 'message.sent:sent']);
      }
      const historyIds = [...historyOf(delivered), ...historyOf(failed)].map((h) => h.webhookId).sort();
      expect(historyIds).toEqual([...new Set(firstTries.map((d) => d.eventId))].sort());
    } finally {
      volt.setDeliveryOptions({ duplicates: 0, reorder: false });
    }
  }, 30_000);

  test('a subscriber with an eventTypes filter receives exactly the matching events, an unfiltered one all of them', async () => {
    await Promise.all(['crm', 'tracking', 'audit'].map((name) => takeAll(aws.queueUrl(name))));
    const events = {
      sent: variant('message-sent', { messageId: `rf_sub${randomBytes(6).toString('hex')}` }),
      delivered: variant('message-delivered'),
      failed: variant('message-failed', { messageId: `rf_sub${randomBytes(6).toString('hex')}` }),
      received: variant('message-received', { messageAppId: randomUUID() }),
    };
    // The ingest answers 2xx only after every target queue took the event: what is not there now never comes.
    for (const e of Object.values(events)) expect((await postSigned(e.raw)).status).toBe(200);

    const ids = async (name: string) => {
      const messages = await takeAll(aws.queueUrl(name));
      for (const m of messages) expect(Object.values(events).some((e) => e.raw === m.Body)).toBe(true);
      return messages
        .map(
          (m) =>
            `${m.MessageAttributes?.['eventType']?.StringValue}:${m.MessageAttributes?.['webhookId']?.StringValue}`,
        )
        .sort();
    };
    const label = (type: string, e: { webhookId: string }) => `${type}:${e.webhookId}`;
    expect(await ids('crm')).toEqual([label('message.received', events.received)]);
    expect(await ids('tracking')).toEqual(
      [
        label('message.sent', events.sent),
        label('message.finalized', events.delivered),
        label('message.finalized', events.failed),
      ].sort(),
    );
    expect(await ids('audit')).toEqual(
      [
        label('message.sent', events.sent),
        label('message.finalized', events.delivered),
        label('message.finalized', events.failed),
        label('message.received', events.received),
      ].sort(),
    );
  });

  describe('poison records, with the state queue visibility timeout shortened', () => {
    beforeEach(async () => {
      await stateQueueDrained();
      expect(await queueDepth(aws.queueUrl('stateDlq'))).toBe(0);
      // The template's 180 s visibility timeout would make five receives take 15 minutes; the queue's
      // own setting (not the runner) is what spaces Lambda's retries, so the test shortens it there.
      // It stays above the 1 s batching window: a shorter one lets a record reappear within its own
      // batch while the poller is still filling it, on AWS as here.
      await aws.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: aws.queueUrl('state'), Attributes: { VisibilityTimeout: '2' } }),
      );
    });

    afterEach(async () => {
      const template = stack.queues.find((q) => q.key === 'state')?.visibilityTimeout ?? 180;
      await aws.sqs.send(
        new SetQueueAttributesCommand({
          QueueUrl: aws.queueUrl('state'),
          Attributes: { VisibilityTimeout: String(template) },
        }),
      );
    });

    /** Waits for the DLQ to hold `count` messages, and takes them off it. */
    const deadLetters = (count: number) =>
      waitFor(
        `${count} record(s) in the state DLQ`,
        async () =>
          (await queueDepth(aws.queueUrl('stateDlq'))) >= count ? takeAll(aws.queueUrl('stateDlq')) : undefined,
        25_000,
      );

    const maxReceiveCount = () => stack.queues.find((q) => q.key === 'state')?.redrive?.maxReceiveCount;
    const batchesFailing = (sqsMessageId: string) =>
      batches.filter((b) => b.queueName === 'state' && b.failedMessageIds.includes(sqsMessageId));

    test('a non-JSON record ends in the DLQ after maxReceiveCount receives, while the rest of its batch is stored', async () => {
      expect(maxReceiveCount()).toBe(5);
      const goodIds = [randomUUID(), randomUUID(), randomUUID()];
      const poisonBody = 'this is not a webhook, not even JSON';
      // Straight onto the state queue in one call, so the poller finds them together.
      const sent = await aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: aws.queueUrl('state'),
          Entries: [
            { Id: 'poison', MessageBody: poisonBody },
            ...goodIds.map((id, i) => ({
              Id: `good${i}`,
              MessageBody: variant('message-received', { messageAppId: id }).raw,
            })),
          ],
        }),
      );
      const poisonMessageId = sent.Successful?.find((e) => e.Id === 'poison')?.MessageId ?? 'no poison message id';

      const dead = await deadLetters(1);
      expect(dead.map((m) => m.Body)).toEqual([poisonBody]);
      for (const id of goodIds) expect(s(await getItem(id), 'status')).toBe('webhook_delivered');

      const withPoison = batchesFailing(poisonMessageId);
      expect(withPoison).toHaveLength(maxReceiveCount() ?? 0);
      // Its first batch held the good records too, and only the poison record was reported failed.
      expect(withPoison[0]?.records).toBe(1 + goodIds.length);
      for (const b of withPoison) expect(b.failedMessageIds).toEqual([poisonMessageId]);
      expect(withPoison.every((b) => b.error === undefined)).toBe(true);
      expect(withPoison[withPoison.length - 1]?.exhaustedMessageIds).toEqual([poisonMessageId]);
      // Moved once, not copied: nothing is left on either queue.
      await stateQueueDrained();
      expect(await queueDepth(aws.queueUrl('stateDlq'))).toBe(0);
    }, 40_000);
  });
});
