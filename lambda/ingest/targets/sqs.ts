import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { ConfigurationError } from '../../common/errors';
import {
  BODY_ENCODING_ATTRIBUTE,
  queueBodyOfJson,
  toSqsText,
  type QueueMessageAttributes,
} from '../../common/queue-message';
import { readTargetEntry, type TargetEntry, type TargetKind } from './target';

/**
 * SQS queues as delivery targets: the queue-message contract (the raw body, base64 with a
 * `bodyEncoding` attribute only when SQS would refuse its characters; five String attributes).
 */

/** The environment variable listing the target queues, shared with `lib/constructs/targets/sqs-target.ts`. */
export const SQS_TARGETS_ENV = 'TARGET_QUEUES';

/**
 * How long the ingest waits for SQS. Volt allows a delivery about 2 s, and API Gateway, a cold
 * start and the verify come out of that too. A slow or hanging SQS must end in a 503 with
 * Retry-After (Volt delivers again later) well inside it, never in a late 200 or in API
 * Gateway's own 5xx at the function's timeout. A healthy SendMessage takes tens of ms, so an
 * attempt that passes `attemptTimeoutMs` is abandoned and retried once, and the deadline bounds
 * both attempts with the retry delay between them (test/integration/bin/app.faults.test.ts measures it).
 */
export const SQS_SEND_BUDGET = {
  /** Attempts per send: the first, and one retry after an error or a timed-out attempt. */
  maxAttempts: 2,
  /** One attempt, from the request until the response headers, connecting included. */
  attemptTimeoutMs: 450,
  /** Establishing the TCP connection alone. */
  connectionTimeoutMs: 300,
  /** Everything, retry delay included: past it the send is abandoned. */
  deadlineMs: 1000,
} as const;

/** One queue's entry in `TARGET_QUEUES`. */
export interface SqsTargetEntry extends TargetEntry {
  readonly queueUrl: string;
}

/**
 * Sends one SendMessage request, giving up when `abortSignal` fires (the handler passes its SQS
 * client's `send`, so this file holds none).
 */
export type SendMessage = (input: SendMessageCommandInput, options: { abortSignal: AbortSignal }) => Promise<unknown>;

/** A send abandoned at its deadline. */
export class SendDeadlineError extends Error {
  override readonly name = 'SendDeadlineError';
  constructor(deadlineMs: number, cause: unknown) {
    super(`SQS did not answer within ${deadlineMs} ms`, { cause });
  }
}

/**
 * `send(input)` with an overall deadline: the signal reaches the SDK's retry loop and its HTTP
 * handler, so a slow answer, a retry delay and a second attempt all stop at `deadlineMs`.
 * A controller with a timer cleared on the answer, not `AbortSignal.timeout`, whose timer always
 * fires later: creating and firing that one cost about 20 µs of CPU per send on Node 24,
 * against 2 µs here.
 */
export async function sendWithin(
  send: SendMessage,
  input: SendMessageCommandInput,
  deadlineMs: number,
): Promise<unknown> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), deadlineMs);
  try {
    return await send(input, { abortSignal: controller.signal });
  } catch (err: unknown) {
    if (controller.signal.aborted) throw new SendDeadlineError(deadlineMs, err);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

// Listed once at load rather than Object.entries per request; `satisfies` makes the compiler
// refuse a list that misses an attribute of the contract.
const ATTRIBUTE_NAMES = Object.keys({
  webhookId: 0,
  eventType: 0,
  messageId: 0,
  receivedAt: 0,
  signature: 0,
} satisfies Record<keyof QueueMessageAttributes, 0>) as (keyof QueueMessageAttributes)[];

/**
 * The contract's attributes as SQS String attributes, each value cleaned of the characters SQS
 * refuses (the consumer cleans the ids it stores the same way), with `bodyEncoding` when given.
 */
export function toMessageAttributes(
  attributes: QueueMessageAttributes,
  bodyEncoding?: string,
): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const name of ATTRIBUTE_NAMES) {
    const value = attributes[name];
    // SQS rejects empty attribute values; an absent signature cannot reach here anyway.
    if (value !== '') result[name] = { DataType: 'String', StringValue: toSqsText(value) };
  }
  if (bodyEncoding !== undefined) result[BODY_ENCODING_ATTRIBUTE] = { DataType: 'String', StringValue: bodyEncoding };
  return result;
}

/** The SendMessage request for one verified event: `json` is the raw body the ingest parsed. */
export function sqsMessageInput(
  queueUrl: string,
  json: string,
  attributes: QueueMessageAttributes,
): SendMessageCommandInput {
  const { body, encoding } = queueBodyOfJson(json);
  return { QueueUrl: queueUrl, MessageBody: body, MessageAttributes: toMessageAttributes(attributes, encoding) };
}

/** The SQS kind, sending through `sendMessage`, each send bounded by `deadlineMs`. */
export function sqsTargets(sendMessage: SendMessage, options: { readonly deadlineMs?: number } = {}): TargetKind {
  const deadlineMs = options.deadlineMs ?? SQS_SEND_BUDGET.deadlineMs;
  return {
    kind: 'sqs',
    env: SQS_TARGETS_ENV,
    target(entry, label) {
      const e = readTargetEntry(entry, label);
      const queueUrl = e['queueUrl'];
      if (typeof queueUrl !== 'string' || queueUrl === '') {
        throw new ConfigurationError(`${label} needs a string "name" and "queueUrl"`);
      }
      return {
        kind: 'sqs',
        name: e.name,
        ...(e.eventTypes ? { eventTypes: e.eventTypes } : {}),
        address: queueUrl,
        deliver: (body, attributes) => sendWithin(sendMessage, sqsMessageInput(queueUrl, body, attributes), deadlineMs),
      };
    },
  };
}
