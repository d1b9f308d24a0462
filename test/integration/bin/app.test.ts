import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { eventTypeOf, messageIdOf, parseEnvelope } from '../../../lambda/common/envelope';
import { signBody } from '../../../lambda/common/signature';
import { messagesTable, type LocalStack } from '../../../local/stack';
import { vendorEvents } from '../../helpers/fixtures';
import { testKeyPair } from '../../helpers/keys';
import type { LocalAwsClients } from '../../helpers/local-aws';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';

// The product's own template, synthesized by the CDK CLI, running on the local stack.

const SIGNATURE_HEADER = 'X-Respond-Flow-Signature';

describe('local stack from the synthesized template', () => {
  const key = testKeyPair('local-stack');
  const other = testKeyPair('someone-else');
  let product: ProductStack;
  let stack: LocalStack;
  let aws: LocalAwsClients;

  const post = (body: string, signature?: string) =>
    fetch(stack.webhookUrl ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) },
      body,
    });

  const queueDepth = (url: string) => aws.queueDepth(url);

  /** Reads every message on a queue without consuming it: they are made visible again afterwards. */
  async function peekAll(url: string, expected: number): Promise<Message[]> {
    const seen = new Map<string, Message>();
    const deadline = Date.now() + 5000;
    while (seen.size < expected && Date.now() < deadline) {
      const out = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 30,
          MessageAttributeNames: ['All'],
        }),
      );
      for (const m of out.Messages ?? []) seen.set(m.MessageId ?? '', m);
    }
    const all = [...seen.values()];
    if (all.length > 0) {
      await aws.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: all.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
        }),
      );
    }
    return all;
  }

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-local-stack',
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        subscribers: JSON.stringify([{ name: 'crm', eventTypes: ['message.received'] }]),
      },
      // The consumer starts later, so the queue can be read first.
      stack: { eventSources: false },
    });
    ({ stack, aws } = product);
  }, 120_000);

  afterAll(async () => {
    await product?.stop();
  });

  test('creates what the template declares: queues with their DLQs, functions, the webhook URL', () => {
    expect(stack.queues.map((q) => q.key).sort()).toEqual([
      // The delivery archive's queue and its DLQ (docs/archive.md).
      'archive',
      'archiveDlq',
      'crm',
      'crmDlq',
      'quarantine',
      'state',
      'stateDlq',
      // The status-event publisher's failure destination (docs/events.md).
      'unpublished',
    ]);
    expect(stack.queues.find((q) => q.key === 'state')?.redrive).toEqual({
      deadLetterTargetArn: stack.queues.find((q) => q.key === 'stateDlq')?.arn,
      maxReceiveCount: 5,
    });
    expect([...stack.functions.values()].map((f) => f.definition.displayName)).toContain('ingest');
    expect(stack.webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks$/);
  });

  test('a missing or wrong signature gets 401 and enqueues nothing', async () => {
    const [first] = vendorEvents();
    const raw = first?.raw ?? '{}';
    expect((await post(raw)).status).toBe(401);
    expect((await post(raw, signBody(other.privateKey, raw))).status).toBe(401);
    expect(await queueDepth(aws.queueUrl('state'))).toBe(0);
    expect(await queueDepth(aws.queueUrl('crm'))).toBe(0);
    // Kept for an operator in the quarantine, which nothing consumes.
    expect(await queueDepth(aws.queueUrl('quarantine'))).toBe(2);
  });

  test('the four vendor events, signed with the local key, are accepted and queued with the contract attributes', async () => {
    const events = vendorEvents();
    expect(events).toHaveLength(4);
    const signatures = new Map<string, string>();
    for (const e of events) {
      const signature = signBody(key.privateKey, e.raw);
      signatures.set(e.raw, signature);
      const response = await post(e.raw, signature);
      expect(response.status).toBe(200);
    }

    const messages = await peekAll(aws.queueUrl('state'), 4);
    expect(messages).toHaveLength(4);
    for (const e of events) {
      const envelope = parseEnvelope(e.raw);
      const message = messages.find((m) => m.Body === e.raw);
      expect(message).toBeDefined();
      const attributes = message?.MessageAttributes ?? {};
      expect(attributes['webhookId']?.StringValue).toBe(envelope.id);
      expect(attributes['eventType']?.StringValue).toBe(eventTypeOf(envelope));
      expect(attributes['messageId']?.StringValue).toBe(messageIdOf(envelope));
      expect(attributes['signature']?.StringValue).toBe(signatures.get(e.raw));
      expect(new Date(attributes['receivedAt']?.StringValue ?? '').toISOString()).toBe(
        attributes['receivedAt']?.StringValue,
      );
    }
    // The crm subscriber asked for message.received only.
    const crm = await peekAll(aws.queueUrl('crm'), 1);
    expect(crm.map((m) => m.MessageAttributes?.['eventType']?.StringValue)).toEqual(['message.received']);
  });

  test('the consumer, run by the event source mapping, stores the queued events in the table', async () => {
    const table = messagesTable(stack);
    if (!table) {
      // The message store is not in the template yet: nothing to consume into.
      expect(stack.tables).toHaveLength(0);
      return;
    }
    stack.startEventSources();
    const ids = [...new Set(vendorEvents().map((e) => messageIdOf(parseEnvelope(e.raw))))];
    const deadline = Date.now() + 15_000;
    const items = new Map<string, Record<string, unknown>>();
    while (items.size < ids.length && Date.now() < deadline) {
      for (const id of ids) {
        const out = await aws.dynamodb.send(
          new GetItemCommand({ TableName: table.name, Key: { messageId: { S: id } }, ConsistentRead: true }),
        );
        if (out.Item) items.set(id, out.Item);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect([...items.keys()].sort()).toEqual([...ids].sort());
    // Every record succeeded, so the mapping deleted them all.
    while ((await queueDepth(aws.queueUrl('state'))) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await queueDepth(aws.queueUrl('state'))).toBe(0);
  }, 30_000);
});
