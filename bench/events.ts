import { vendorEvent } from '../test/helpers/fixtures';

/**
 * A realistic webhook stream and the final state it must produce: outbound messages with a
 * `message.sent` then a `message.finalized`, inbound messages with one `message.received`,
 * some events delivered twice and some out of order, as Volt's at-least-once delivery does.
 */

export interface StreamEvent {
  readonly webhookId: string;
  readonly messageId: string;
  readonly body: string;
}

export interface ExpectedItem {
  readonly status: string;
  /** Distinct events the item's history must hold. */
  readonly historyLength: number;
}

export interface StreamOptions {
  /** Outbound messages, two events each. */
  readonly outbound: number;
  /** Inbound messages, one event each. */
  readonly inbound: number;
  /** Share of events delivered a second time. */
  readonly duplicateRate: number;
  /** `swap`: this share of outbound messages has its finalized event first; `shuffle`: any order. */
  readonly order: { readonly kind: 'swap'; readonly rate: number } | { readonly kind: 'shuffle' };
  /** @default 1 */
  readonly seed?: number;
}

export interface Stream {
  readonly events: readonly StreamEvent[];
  /** Distinct events (duplicates excluded). */
  readonly distinct: number;
  readonly expected: ReadonlyMap<string, ExpectedItem>;
}

/** A small deterministic PRNG (mulberry32), so every run sends the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAILURE_FIELDS = [
  'error_code',
  'provider_error_code',
  'provider_error_title',
  'provider_error_detail',
  'carrier_name',
] as const;

function payloadOf(name: string): Record<string, unknown> {
  return { ...(vendorEvent(name).json['payload'] as Record<string, unknown>) };
}

export function buildStream(options: StreamOptions): Stream {
  const random = prng(options.seed ?? 1);
  const sent = payloadOf('message-sent');
  const failed = payloadOf('message-failed');
  const received = payloadOf('message-received');
  const run = Math.floor(random() * 1e9).toString(36);
  const base = Date.UTC(2026, 0, 1);
  const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
  const body = (id: string, payload: Record<string, unknown>) =>
    JSON.stringify({ type: 'messaging', id, payload, time: 1767225600 });

  const perMessage: StreamEvent[][] = [];
  const expected = new Map<string, ExpectedItem>();
  for (let i = 0; i < options.outbound; i++) {
    const messageId = `rf_bench_${run}_${i}`;
    const t = base + i * 1000;
    const fails = random() < 0.1;
    const sentPayload: Record<string, unknown> = {
      ...sent,
      id: messageId,
      message_app_id: `app-${run}-${i}`,
      occurred_at: iso(t),
      sent_at: iso(t),
    };
    const finalPayload: Record<string, unknown> = fails
      ? {
          ...failed,
          id: messageId,
          message_app_id: `app-${run}-${i}`,
          event_type: 'message.finalized',
          occurred_at: iso(t + 2500),
        }
      : {
          ...sent,
          id: messageId,
          message_app_id: `app-${run}-${i}`,
          event_type: 'message.finalized',
          status: 'delivered',
          occurred_at: iso(t + 2500),
          completed_at: iso(t + 2500),
        };
    if (!fails) for (const f of FAILURE_FIELDS) delete finalPayload[f];
    const pair = [
      { webhookId: `rfw_${run}_${i}_s`, messageId, body: body(`rfw_${run}_${i}_s`, sentPayload) },
      { webhookId: `rfw_${run}_${i}_f`, messageId, body: body(`rfw_${run}_${i}_f`, finalPayload) },
    ];
    perMessage.push(pair);
    expected.set(messageId, { status: String(finalPayload['status']), historyLength: 2 });
  }
  for (let i = 0; i < options.inbound; i++) {
    const appId = `in-${run}-${i}`;
    const webhookId = `rfw_${run}_in_${i}`;
    const payload = { ...received, id: null, message_app_id: appId, occurred_at: iso(base + i * 1000) };
    perMessage.push([{ webhookId, messageId: appId, body: body(webhookId, payload) }]);
    expected.set(appId, { status: String(received['status']), historyLength: 1 });
  }

  // Interleave messages as traffic would, keeping each message's own order unless told otherwise.
  let events: StreamEvent[];
  if (options.order.kind === 'shuffle') {
    events = shuffle(perMessage.flat(), random);
  } else {
    const rate = options.order.rate;
    const swapped = perMessage.map((evs) => (evs.length === 2 && random() < rate * 2 ? [...evs].reverse() : evs));
    // Swapping half the pairs' halves puts `rate` of all events out of order.
    events = interleave(swapped, random);
  }
  const distinct = events.length;
  const withDuplicates = [...events];
  const duplicates = Math.round(distinct * options.duplicateRate);
  for (let d = 0; d < duplicates; d++) {
    const original = events[Math.floor(random() * distinct)];
    if (!original) continue;
    const at = Math.floor(random() * (withDuplicates.length + 1));
    withDuplicates.splice(at, 0, original);
  }
  return { events: withDuplicates, distinct, expected };
}

/** Fisher-Yates in place with a seeded PRNG: the same order for the same seed. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Merges per-message sequences at random, each one's events staying in their given order. */
function interleave(sequences: StreamEvent[][], random: () => number): StreamEvent[] {
  const queues = sequences.map((s) => [...s]);
  const out: StreamEvent[] = [];
  // A sliding window of open messages, so a message's events sit near each other as in real traffic.
  const window: StreamEvent[][] = [];
  let next = 0;
  while (next < queues.length || window.length > 0) {
    while (window.length < 50 && next < queues.length) window.push(queues[next++] as StreamEvent[]);
    const pick = Math.floor(random() * window.length);
    const q = window[pick] as StreamEvent[];
    out.push(q.shift() as StreamEvent);
    if (q.length === 0) window.splice(pick, 1);
  }
  return out;
}
