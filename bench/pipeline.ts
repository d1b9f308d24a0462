import {
  BatchGetItemCommand,
  DynamoDBClient,
  type AttributeValue,
  type BatchGetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { KeyObject } from 'node:crypto';
import { signBody } from '../lambda/common/signature';
import { ARCHIVE_QUEUE_ROLE, STATE_QUEUE_ROLE } from '../lib/template-contract';
import { messagesTable, type LocalStack } from '../local/model';
import type { Stream, StreamEvent } from './events';
import { quantile } from './stats';

/**
 * Drives a running local stack the way Volt does: signed POSTs at a fixed concurrency,
 * retried on 503 and on connection errors, then waits until the consumer has drained the state
 * queue and checks every message's item against the stream's model.
 */

export interface SendResult {
  readonly requests: number;
  readonly retries: number;
  /** Milliseconds per accepted POST (the attempt that was accepted). */
  readonly latenciesMs: readonly number[];
  readonly sendMs: number;
}

export interface DrainResult {
  /** From the first POST until every item matched the model. */
  readonly totalMs: number;
  readonly mismatches: readonly string[];
  readonly queueDepths: Readonly<Record<string, number>>;
}

const SIGNATURE_HEADER = 'X-Respond-Flow-Signature';

export async function sendAll(
  webhookUrl: string,
  privateKey: KeyObject,
  events: readonly StreamEvent[],
  concurrency: number,
  deadline: number,
): Promise<SendResult> {
  const signed = events.map((e) => ({ body: e.body, signature: signBody(privateKey, e.body) }));
  const latenciesMs: number[] = [];
  let next = 0;
  let requests = 0;
  let retries = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      const item = signed[i];
      if (!item) return;
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline)
          throw new Error(`gave up: the deadline passed while sending event ${i} of ${signed.length}`);
        const t = performance.now();
        requests++;
        let status = 0;
        try {
          const res = await fetch(webhookUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: item.signature },
            body: item.body,
          });
          status = res.status;
          await res.arrayBuffer();
        } catch (err: unknown) {
          // A refused or reset connection is retried like a 503, as Volt would.
          if (!(err instanceof Error)) throw err;
        }
        if (status >= 200 && status < 300) {
          latenciesMs.push(performance.now() - t);
          break;
        }
        if (status !== 0 && status !== 503) throw new Error(`event ${i} answered ${status}`);
        retries++;
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { requests, retries, latenciesMs, sendMs: performance.now() - started };
}

export interface RateResult {
  /** Distinct events accepted (2xx). */
  readonly accepted: number;
  /** Answers that were retried, by status (`0`: a refused or reset connection). */
  readonly retriedByStatus: Readonly<Record<string, number>>;
  /** Milliseconds per accepted POST (the attempt that was accepted). */
  readonly latenciesMs: readonly number[];
  /** 2xx answers in each second from the first scheduled send. */
  readonly acceptedPerSecond: readonly number[];
  /** From the first scheduled send to the last first attempt actually sent. */
  readonly dispatchMs: number;
  /** From the first scheduled send to the last 2xx. */
  readonly acceptMs: number;
  /** How late first attempts left, against their schedule (the sender falling behind). */
  readonly dispatchLagMs: { readonly p50: number; readonly p99: number; readonly max: number };
  /** Most requests in flight at once. */
  readonly peakInFlight: number;
}

/**
 * Volt as a campaign drives it: signed POSTs started at a fixed `rate` per second whatever the
 * answers (an open loop, unlike `sendAll`), with at most `maxInFlight` open at once. A 503, a
 * 429 or a connection error is retried with backoff, as Volt is assumed to; each is counted.
 */
export interface SignedEvent {
  readonly body: string;
  readonly signature: string;
}

/** Signs every event up front, so that the signing's CPU is not spent while sending. */
export function signEvents(privateKey: KeyObject, events: readonly StreamEvent[]): SignedEvent[] {
  return events.map((e) => ({ body: e.body, signature: signBody(privateKey, e.body) }));
}

export async function sendAtRate(
  webhookUrl: string,
  signed: readonly SignedEvent[],
  options: { readonly rate: number; readonly maxInFlight: number; readonly deadline: number },
): Promise<RateResult> {
  const latenciesMs: number[] = [];
  const acceptedPerSecond: number[] = [];
  const retriedByStatus: Record<string, number> = {};
  const lags: number[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  let lastAccepted = 0;
  let lastDispatched = 0;
  let slotFreed: (() => void) | undefined;
  const t0 = performance.now() + 50;

  const deliver = async (i: number, item: SignedEvent): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      if (Date.now() > options.deadline)
        throw new Error(`gave up: the deadline passed while sending event ${i} of ${signed.length}`);
      const t = performance.now();
      let status = 0;
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: item.signature },
          body: item.body,
        });
        status = res.status;
        await res.arrayBuffer();
      } catch (err: unknown) {
        if (!(err instanceof Error)) throw err;
      }
      if (status >= 200 && status < 300) {
        const at = performance.now();
        latenciesMs.push(at - t);
        const second = Math.max(0, Math.floor((at - t0) / 1000));
        acceptedPerSecond[second] = (acceptedPerSecond[second] ?? 0) + 1;
        lastAccepted = Math.max(lastAccepted, at);
        return;
      }
      if (status !== 0 && status !== 503 && status !== 429) throw new Error(`event ${i} answered ${status}`);
      retriedByStatus[String(status)] = (retriedByStatus[String(status)] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
    }
  };

  const pending: Promise<void>[] = [];
  for (const [i, item] of signed.entries()) {
    const due = t0 + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight >= options.maxInFlight) await new Promise<void>((r) => (slotFreed = r));
    const now = performance.now();
    lags.push(Math.max(0, now - due));
    lastDispatched = now;
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    pending.push(
      deliver(i, item).finally(() => {
        inFlight--;
        slotFreed?.();
        slotFreed = undefined;
      }),
    );
  }
  await Promise.all(pending);
  for (let s = 0; s < acceptedPerSecond.length; s++) acceptedPerSecond[s] ??= 0;
  return {
    accepted: latenciesMs.length,
    retriedByStatus,
    latenciesMs,
    acceptedPerSecond,
    dispatchMs: lastDispatched - t0,
    acceptMs: lastAccepted - t0,
    dispatchLagMs: { p50: quantile(lags, 0.5), p99: quantile(lags, 0.99), max: Math.max(0, ...lags) },
    peakInFlight,
  };
}

async function depth(sqs: SQSClient, url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.['ApproximateNumberOfMessages'] ?? 0) +
    Number(out.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0)
  );
}

/** Items that do not (yet) match the model, as readable lines. */
async function compare(dynamodb: DynamoDBClient, tableName: string, stream: Stream): Promise<string[]> {
  const ids = [...stream.expected.keys()];
  const found = new Map<string, Record<string, AttributeValue>>();
  for (let i = 0; i < ids.length; i += 100) {
    let keys: Record<string, AttributeValue>[] | undefined = ids
      .slice(i, i + 100)
      .map((id) => ({ messageId: { S: id } }));
    while (keys && keys.length > 0) {
      const out: BatchGetItemCommandOutput = await dynamodb.send(
        new BatchGetItemCommand({
          RequestItems: {
            [tableName]: {
              Keys: keys,
              ProjectionExpression: 'messageId, #s, history',
              ExpressionAttributeNames: { '#s': 'status' },
            },
          },
        }),
      );
      for (const item of out.Responses?.[tableName] ?? []) found.set(item['messageId']?.S ?? '', item);
      keys = out.UnprocessedKeys?.[tableName]?.Keys;
    }
  }
  const problems: string[] = [];
  for (const [id, want] of stream.expected) {
    const item = found.get(id);
    if (!item) problems.push(`${id}: no item`);
    else if (item['status']?.S !== want.status)
      problems.push(`${id}: status ${item['status']?.S} instead of ${want.status}`);
    else if ((item['history']?.L?.length ?? 0) !== want.historyLength)
      problems.push(`${id}: history of ${item['history']?.L?.length ?? 0} instead of ${want.historyLength}`);
  }
  return problems;
}

/**
 * Waits until the state queue is empty and every item matches the model, or the deadline passes;
 * with `drainArchive`, then also until the archive queue is empty (its batching window is 60 s by
 * default, so its last messages wait up to that long for the archiver). `totalMs` is the time
 * to the last stored item either way.
 */
export async function drainAndVerify(
  stack: LocalStack,
  stream: Stream,
  started: number,
  deadline: number,
  options: { readonly drainArchive?: boolean } = {},
): Promise<DrainResult> {
  const settings = { region: stack.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sqs = new SQSClient({ ...settings, endpoint: stack.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...settings, endpoint: stack.dynamodbEndpoint });
  const table = messagesTable(stack);
  const state = stack.queues.find((q) => q.key === STATE_QUEUE_ROLE);
  if (!table || !state) throw new Error('the local stack has no table or no state queue');
  try {
    let mismatches: string[] = [];
    for (;;) {
      if ((await depth(sqs, state.url)) === 0) {
        mismatches = await compare(dynamodb, table.name, stream);
        if (mismatches.length === 0) break;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const totalMs = performance.now() - started;
    const archive = stack.queues.find((q) => q.key === ARCHIVE_QUEUE_ROLE);
    while (options.drainArchive && archive && Date.now() <= deadline && (await depth(sqs, archive.url)) > 0)
      await new Promise((r) => setTimeout(r, 500));
    const queueDepths: Record<string, number> = {};
    for (const q of stack.queues) queueDepths[q.key] = await depth(sqs, q.url);
    return { totalMs, mismatches, queueDepths };
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}

export function latencySummary(latenciesMs: readonly number[]): { p50: number; p99: number } {
  return { p50: quantile(latenciesMs, 0.5), p99: quantile(latenciesMs, 0.99) };
}
