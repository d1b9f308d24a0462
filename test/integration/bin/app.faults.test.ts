import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { SIGNATURE_HEADER, signBody } from '../../../lambda/common/signature';
import type { BatchOutcome } from '../../../local/event-source';
import type { LocalStack } from '../../../local/stack';
import type { DynamoDbRequest } from '../../../local/standins';
import { testKeyPair } from '../../helpers/keys';
import type { Item, LocalAwsClients } from '../../helpers/local-aws';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { waiter } from '../../helpers/wait';

// Faults injected into the local stack's AWS stand-ins while signed webhooks flow through the
// product's own template: SQS down, DynamoDB failing writes, a poison record, a consumer that
// dies mid-batch. Each test checks what was finally stored against a model of the events sent.

interface ModelEvent {
  readonly raw: string;
  readonly webhookId: string;
  readonly messageId: string;
  readonly status: string;
}

/** The state queue's visibility timeout during these tests: Lambda's retries come this often. */
const VISIBILITY_SECONDS = 2;
/** The consumer's timeout here: short, so that a hung batch ends its environment quickly. */
const CONSUMER_TIMEOUT_SECONDS = 1.5;

const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

/** An outbound message's events: `message.sent`, then `message.finalized` (delivered) a second later. */
function outboundMessage(messageId = newId('rf')): ModelEvent[] {
  const event = (eventType: string, status: string, occurredAt: string): ModelEvent => {
    const webhookId = newId('rfw');
    const raw = JSON.stringify({
      type: 'messaging',
      id: webhookId,
      payload: {
        event_type: eventType,
        id: messageId,
        status,
        occurred_at: occurredAt,
        direction: 'outbound',
        to_number: '+15555550123',
        from_number: '+15555550145',
        text: 'fault test',
      },
    });
    return { raw, webhookId, messageId, status };
  };
  return [
    event('message.sent', 'sent', '2026-11-25T01:00:00.000Z'),
    event('message.finalized', 'delivered', '2026-11-25T01:00:01.000Z'),
  ];
}

/** The status the model expects per message: the highest-ranked event's (finalized over sent). */
function expectedStatus(events: readonly ModelEvent[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const e of events) if (result.get(e.messageId) !== 'delivered') result.set(e.messageId, e.status);
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault tolerance on the local stack', () => {
  const key = testKeyPair('faults');
  const batches: BatchOutcome[] = [];
  let product: ProductStack;
  let stack: LocalStack;
  let aws: LocalAwsClients;

  const post = (raw: string) =>
    fetch(stack.webhookUrl ?? 'http://127.0.0.1:9/none', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, raw) },
      body: raw,
    });

  /** Volt's side: posts until a 2xx, retrying on anything else; returns the failed answers seen. */
  async function deliver(raw: string, deadlineMs = 20_000): Promise<{ status: number; retryAfter: string | null }[]> {
    const failures: { status: number; retryAfter: string | null }[] = [];
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const res = await post(raw);
      await res.arrayBuffer();
      if (res.ok) return failures;
      failures.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
      if (Date.now() > deadline)
        throw new Error(`gave up delivering after ${failures.length} failures (last ${res.status})`);
      // Retry-After asks for seconds; the test's sender retries sooner to keep the run short.
      await sleep(100);
    }
  }

  const getItem = (messageId: string) => aws.getItem(messageId);

  const historyIds = (item: Item | undefined) => (item?.['history']?.L ?? []).map((e) => e.M?.['webhookId']?.S ?? '');

  /** Waits until every message's item holds all its events, then checks each against the model. */
  async function expectStored(events: readonly ModelEvent[], timeoutMs = 20_000): Promise<void> {
    const byMessage = new Map<string, string[]>();
    for (const e of events) byMessage.set(e.messageId, [...(byMessage.get(e.messageId) ?? []), e.webhookId]);
    const deadline = Date.now() + timeoutMs;
    const items = new Map<string, Item | undefined>();
    for (const [messageId, ids] of byMessage) {
      for (;;) {
        const item = await getItem(messageId);
        items.set(messageId, item);
        if (historyIds(item).length >= ids.length || Date.now() > deadline) break;
        await sleep(100);
      }
    }
    const status = expectedStatus(events);
    for (const [messageId, ids] of byMessage) {
      const item = items.get(messageId);
      // Every event exactly once: nothing lost, nothing applied twice.
      expect({ messageId, history: [...historyIds(item)].sort() }).toEqual({ messageId, history: [...ids].sort() });
      expect({ messageId, status: item?.['status']?.S }).toEqual({ messageId, status: status.get(messageId) });
    }
  }

  const queueDepth = (url: string) => aws.queueDepth(url);

  const waitFor = waiter({ timeoutMs: 20_000 });

  const stateDrained = () =>
    waitFor('the state queue to drain', async () =>
      (await queueDepth(aws.queueUrl('state'))) === 0 ? true : undefined,
    );

  /** Posts events at once (so the poller batches them together) and waits for every 2xx. */
  const deliverAll = (events: readonly ModelEvent[]) => Promise.all(events.map((e) => deliver(e.raw)));

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-faults',
      context: { voltPublicKeys: JSON.stringify([key.formats.spkiPem]) },
      stack: {
        functionTimeouts: { consumer: CONSUMER_TIMEOUT_SECONDS },
        onEvent: (event) => {
          if (event.kind === 'batch' && event.queueName === 'state') batches.push(event);
        },
      },
    });
    ({ stack, aws } = product);
    expect([...stack.functions.values()].map((f) => f.definition.displayName)).toContain('consumer');
    // The template's 180 s would make every redelivery a three-minute wait. The queue's own
    // setting spaces Lambda's retries, so it is shortened there (above the 1 s batching window).
    await aws.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: aws.queueUrl('state'),
        Attributes: { VisibilityTimeout: String(VISIBILITY_SECONDS) },
      }),
    );
  }, 120_000);

  afterEach(() => {
    delete stack.faults.dynamodb;
    delete stack.faults.sqs;
  });

  afterAll(async () => {
    if (stack) {
      delete stack.faults.dynamodb;
      delete stack.faults.sqs;
      await stack.faults.startSqs().catch(() => undefined);
    }
    await product?.stop();
  });

  test('while the SQS stand-in is down ingest answers 503 with Retry-After, and every retried event is stored once it is back', async () => {
    const events = Array.from({ length: 6 }, () => outboundMessage()).flat();
    const before = events.slice(0, 4);
    const during = events.slice(4);
    expect((await deliverAll(before)).flat()).toEqual([]);

    await stack.faults.stopSqs();
    let failures: { status: number; retryAfter: string | null }[][];
    try {
      const pending = deliverAll(during);
      await sleep(1500);
      await stack.faults.startSqs();
      failures = await pending;
    } finally {
      await stack.faults.startSqs();
    }
    const seen = failures.flat();
    // Every event sent during the outage was refused at least once, each time with 503 and Retry-After.
    expect(failures.every((f) => f.length > 0)).toBe(true);
    expect(new Set(seen.map((f) => f.status))).toEqual(new Set([503]));
    expect(seen.every((f) => f.retryAfter !== null && /^\d+$/.test(f.retryAfter))).toBe(true);

    await expectStored(events);
    await stateDrained();
    expect(await queueDepth(aws.queueUrl('stateDlq'))).toBe(0);
  }, 40_000);

  // Volt allows about 2 s. The ingest's SQS client gives an attempt 450 ms and the send 1 s in all
  // (lambda/ingest/targets/sqs.ts), so a slow or silent SQS ends in a 503 Volt retries, not in a
  // late 200 or in API Gateway's own 5xx. The time is measured and printed, not asserted: on a
  // loaded machine a bound in ms would flake; the attempts the stand-in saw show the client gave up.
  test.each([
    ['answers after 4 s', { kind: 'delay', ms: 4000 } as const],
    ['never answers', { kind: 'hang' } as const],
  ])(
    'when SQS %s, ingest gives up within its two attempts and answers 503 with Retry-After; the event is stored once retried',
    async (label, fault) => {
      const [event] = outboundMessage();
      if (!event) throw new Error('no event');
      const attempts: number[] = [];
      const started = performance.now();
      stack.faults.sqs = (request) => {
        // The state queue's sends only (the ingest's only queue here; the consumer forwards to the archive).
        if (
          request.operation !== 'SendMessage' ||
          request.queueUrl !== aws.queueUrl('state') ||
          !request.messages[0]?.body?.includes(event.webhookId)
        )
          return undefined;
        attempts.push(performance.now() - started);
        return fault;
      };
      const res = await post(event.raw);
      const elapsed = performance.now() - started;
      await res.arrayBuffer();
      delete stack.faults.sqs;

      console.log(
        `slow SQS (${label}): ${res.status} after ${Math.round(elapsed)} ms; attempts sent at ` +
          `${attempts.map((t) => `${Math.round(t)} ms`).join(' and ')} (budget: 450 ms per attempt, 1,000 ms per send)`,
      );
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      // The client gave up on its own, within its attempts: usually the first attempt times out at
      // 450 ms and the retry is cut by the 1 s deadline. On a loaded machine (a CI run on Node 24
      // saw it) the late first timeout can leave no time for the retry to reach the stand-in
      // before the deadline, so one attempt is as correct as two; a third never is.
      expect(attempts.length).toBeGreaterThanOrEqual(1);
      expect(attempts.length).toBeLessThanOrEqual(2);

      // Volt's retry, once SQS answers again: stored exactly once, whatever the late answers did.
      expect(await deliver(event.raw)).toEqual([]);
      await expectStored([event]);
    },
    30_000,
  );

  test('DynamoDB failing every write for a while: records come back through SQS redelivery and the final items are right', async () => {
    let injected = 0;
    let failing = true;
    stack.faults.dynamodb = (request: DynamoDbRequest) => {
      if (!failing || request.operation !== 'UpdateItem') return undefined;
      injected += 1;
      return { kind: 'error', status: 500, type: 'InternalServerError', message: 'injected by faults.test.ts' };
    };
    const firstBatch = batches.length;
    // Out of order on purpose: some messages' finalized event arrives before their sent event.
    const events = Array.from({ length: 5 }, (_, i) =>
      i % 2 === 0 ? outboundMessage().reverse() : outboundMessage(),
    ).flat();
    await deliverAll(events);
    await waitFor('failed batches', async () =>
      batches.slice(firstBatch).some((b) => b.failedMessageIds.length > 0) ? true : undefined,
    );
    await sleep(1000);
    failing = false;

    await expectStored(events);
    expect(injected).toBeGreaterThan(0);
    expect(batches.slice(firstBatch).some((b) => b.failedMessageIds.length > 0 && b.error === undefined)).toBe(true);
    await stateDrained();
    expect(await queueDepth(aws.queueUrl('stateDlq'))).toBe(0);
  }, 40_000);

  test('a poison record reaches the DLQ after maxReceiveCount receives while the rest of its batch is stored', async () => {
    const maxReceiveCount = stack.queues.find((q) => q.key === 'state')?.redrive?.maxReceiveCount;
    expect(maxReceiveCount).toBe(5);
    const [poison] = outboundMessage();
    if (!poison) throw new Error('no poison event');
    let poisonWrites = 0;
    // DynamoDB refuses every write of this one message, as it would an item it cannot store.
    stack.faults.dynamodb = (request) => {
      if (request.operation !== 'UpdateItem' || !request.body.includes(poison.messageId)) return undefined;
      poisonWrites += 1;
      return { kind: 'error', status: 400, type: 'ValidationException', message: 'injected poison' };
    };
    const good = Array.from({ length: 4 }, () => outboundMessage()[0]).filter((e): e is ModelEvent => e !== undefined);
    const firstBatch = batches.length;
    await deliverAll([poison, ...good]);

    const dead = await waitFor(
      'the poison record in the state DLQ',
      async () => {
        const out = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: aws.queueUrl('stateDlq'),
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            VisibilityTimeout: 60,
          }),
        );
        return out.Messages?.length ? out.Messages : undefined;
      },
      30_000,
    );
    expect(dead.map((m: Message) => m.Body)).toEqual([poison.raw]);
    await aws.sqs.send(
      new DeleteMessageCommand({ QueueUrl: aws.queueUrl('stateDlq'), ReceiptHandle: dead[0]?.ReceiptHandle ?? '' }),
    );
    expect(poisonWrites).toBe(maxReceiveCount);
    await expectStored(good);
    expect(await getItem(poison.messageId)).toBeUndefined();
    // Its first batch carried the good records too, and only the poison record failed.
    const withFailure = batches.slice(firstBatch).filter((b) => b.failedMessageIds.length > 0);
    expect(withFailure).toHaveLength(maxReceiveCount ?? 0);
    expect(withFailure[0]?.records).toBe(1 + good.length);
    expect(withFailure.every((b) => b.failedMessageIds.length === 1 && b.error === undefined)).toBe(true);
    await stateDrained();
  }, 45_000);

  test('a consumer that dies mid-batch loses nothing and applies nothing twice', async () => {
    const events = Array.from({ length: 6 }, () => outboundMessage()[0]).filter(
      (e): e is ModelEvent => e !== undefined,
    );
    const mine = new Set(events.map((e) => e.messageId));
    let passed = 0;
    let hung = 0;
    let crashing = true;
    // The first three writes of the batch land; the rest never get an answer, so the invocation
    // runs into its timeout and the runtime ends the environment with the batch half applied.
    stack.faults.dynamodb = (request) => {
      if (!crashing || request.operation !== 'UpdateItem' || ![...mine].some((id) => request.body.includes(id)))
        return undefined;
      if (passed < 3) {
        passed += 1;
        return undefined;
      }
      hung += 1;
      return { kind: 'hang' };
    };
    const firstBatch = batches.length;
    await deliverAll(events);
    const crashed = await waitFor('the consumer to time out mid-batch', async () =>
      batches.slice(firstBatch).find((b) => /timed out/i.test(b.error ?? '')),
    );
    crashing = false;
    expect(crashed.failedMessageIds).toHaveLength(crashed.records);
    expect(passed).toBe(3);
    expect(hung).toBeGreaterThan(0);

    await expectStored(events);
    // The three applied before the crash came back with the batch and changed nothing the second time.
    await stateDrained();
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: aws.queueUrl('stateDlq'), MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    expect((out.Messages ?? []).map((m) => m.Body)).toEqual([]);
  }, 40_000);
});
