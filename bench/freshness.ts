import { BatchGetItemCommand, DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { LocalStack } from '../local/stack';
import { startVoltSimulator, type SimulatorEvent } from '../local/volt-simulator';

/**
 * Freshness end to end on the local stack: Volt's simulator sends inbound messages at a steady
 * rate; for each webhook, the time from the start of Volt's POST to the ingest's answer, and to
 * the message's item holding that webhook in its history (its status readable with GetItem).
 * The second includes what the consumer side adds: the queue, the event source mapping's polling
 * and batching window, the consumer and the conditional write.
 */

export interface FreshnessResult {
  readonly events: number;
  readonly ratePerSecond: number;
  /** Per webhook: POST start to the ingest's answer, ms. */
  readonly answerMs: readonly number[];
  /** Per webhook: POST start to the item being readable with it, ms. */
  readonly readableMs: readonly number[];
  /** The table was polled this often, so readable times are late by up to this much. */
  readonly pollMs: number;
  /** Webhooks never readable before the deadline. */
  readonly missing: number;
  /** POST attempts the ingest did not accept (Volt retried them). */
  readonly refusedAttempts: number;
}

interface Pending {
  /** False for the warm-up webhooks sent first. */
  readonly measured: boolean;
  readonly webhookId: string;
  readonly messageId: string;
  readonly startedAt: number;
  answeredAt?: number;
  readableAt?: number;
}

const POLL_MS = 20;

function historyHas(item: Record<string, AttributeValue>, webhookId: string): boolean {
  return (item['history']?.L ?? []).some((h) => h.M?.['webhookId']?.S === webhookId);
}

export async function measureFreshness(options: {
  readonly stack: LocalStack;
  /** The key the stack's ingest trusts (pinned at synth). */
  readonly privateKeyPem: string;
  readonly events: number;
  readonly ratePerSecond: number;
  /**
   * Sent first at the same rate and left out of the figures, so that they describe the steady
   * state rather than the functions' first cold starts. @default one second's worth
   */
  readonly warmup?: number;
  readonly timeoutMs: number;
}): Promise<FreshnessResult> {
  const { stack } = options;
  const table = stack.tables[0];
  if (!table || !stack.webhookUrl) throw new Error('the local stack has no table or no webhook URL');
  const pending = new Map<string, Pending>();
  let refusedAttempts = 0;
  let gaveUp = 0;
  let lastRefusal = '';
  const volt = await startVoltSimulator({ privateKeyPem: options.privateKeyPem });
  const onDelivery = (e: SimulatorEvent) => {
    if (e.type === 'delivery.gave-up' && pending.has(e.eventId)) gaveUp++;
    if (e.type !== 'delivery' || e.record.kind !== 'event') return;
    const p = pending.get(e.record.eventId);
    if (!p) return;
    // A refused attempt is retried by Volt after a back-off; the accepted one ends the answer time.
    if (e.record.ok) p.answeredAt = performance.now();
    else {
      refusedAttempts++;
      lastRefusal = e.record.error ?? `HTTP ${e.record.status}`;
    }
  };
  volt.on(onDelivery);
  const dynamodb = new DynamoDBClient({
    region: stack.region,
    endpoint: stack.dynamodbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  let polling = true;
  // One reader for every open webhook: a BatchGetItem per tick, not a GetItem loop per event.
  const poller = (async () => {
    while (polling) {
      const open = [...pending.values()].filter((p) => p.readableAt === undefined);
      const ids = [...new Set(open.map((p) => p.messageId))];
      for (let i = 0; i < ids.length; i += 100) {
        const out = await dynamodb.send(
          new BatchGetItemCommand({
            RequestItems: {
              [table.name]: {
                Keys: ids.slice(i, i + 100).map((id) => ({ messageId: { S: id } })),
                ProjectionExpression: 'messageId, history',
              },
            },
          }),
        );
        const now = performance.now();
        const items = new Map((out.Responses?.[table.name] ?? []).map((it) => [it['messageId']?.S ?? '', it]));
        for (const p of open) {
          const item = items.get(p.messageId);
          if (item && historyHas(item, p.webhookId)) p.readableAt = now;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  try {
    // Registration sends Volt's signed test request through the ingest; it must be accepted.
    await volt.registerWebhook(stack.webhookUrl);
    const interval = 1000 / options.ratePerSecond;
    const warmup = options.warmup ?? Math.ceil(options.ratePerSecond);
    const t0 = performance.now();
    for (let i = 0; i < warmup + options.events; i++) {
      // Open loop: each message leaves at its own time, whatever the earlier ones are doing.
      const due = t0 + i * interval - performance.now();
      if (due > 0) await new Promise((r) => setTimeout(r, due));
      const startedAt = performance.now();
      const sent = volt.simulateInbound({ from: '+15555550100', to: '+15555550123', body: `bench ${i}` });
      pending.set(sent.webhookEventId, {
        measured: i >= warmup,
        webhookId: sent.webhookEventId,
        messageId: sent.messageAppId,
        startedAt,
      });
    }
    const deadline = performance.now() + options.timeoutMs;
    while ([...pending.values()].some((p) => p.readableAt === undefined) && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await volt.idle();
  } finally {
    polling = false;
    await poller.catch(() => undefined);
    dynamodb.destroy();
    await volt.stop();
  }
  if (gaveUp > 0 || [...pending.values()].some((p) => p.answeredAt === undefined))
    throw new Error(
      `freshness: Volt gave up on ${gaveUp} webhooks after its retries (${refusedAttempts} attempts refused or timed out, the last: ${lastRefusal})`,
    );
  const all = [...pending.values()].filter((p) => p.measured);
  const answered = all.filter((p) => p.answeredAt !== undefined);
  const readable = all.filter((p) => p.readableAt !== undefined);
  return {
    events: all.length,
    ratePerSecond: options.ratePerSecond,
    answerMs: answered.map((p) => (p.answeredAt ?? 0) - p.startedAt),
    readableMs: readable.map((p) => (p.readableAt ?? 0) - p.startedAt),
    pollMs: POLL_MS,
    missing: all.length - readable.length,
    refusedAttempts,
  };
}
