import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { ConfigurationError } from '../../common/errors';
import type { QueueMessageAttributes } from '../ingest';
import { readTargetEntry, type TargetEntry, type TargetKind } from './target';

/** SQS queues as delivery targets: the queue-message contract (raw body, five String attributes). */

/** The environment variable listing the target queues, shared with `lib/constructs/targets/sqs-target.ts`. */
export const SQS_TARGETS_ENV = 'TARGET_QUEUES';

/** One queue's entry in `TARGET_QUEUES`. */
export interface SqsTargetEntry extends TargetEntry {
  readonly queueUrl: string;
}

/** Sends one SendMessage request (the handler passes its SQS client's, so this file holds none). */
export type SendMessage = (input: SendMessageCommandInput) => Promise<unknown>;

// Listed once at load rather than Object.entries per request; `satisfies` makes the compiler
// refuse a list that misses an attribute of the contract.
const ATTRIBUTE_NAMES = Object.keys({
  webhookId: 0,
  eventType: 0,
  messageId: 0,
  receivedAt: 0,
  signature: 0,
} satisfies Record<keyof QueueMessageAttributes, 0>) as (keyof QueueMessageAttributes)[];

export function toMessageAttributes(attributes: QueueMessageAttributes): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const name of ATTRIBUTE_NAMES) {
    const value = attributes[name];
    // SQS rejects empty attribute values; an absent signature cannot reach here anyway.
    if (value !== '') result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}

/** The SQS kind, sending through `sendMessage`. */
export function sqsTargets(sendMessage: SendMessage): TargetKind {
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
        deliver: (body, attributes) =>
          sendMessage({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: toMessageAttributes(attributes) }),
      };
    },
  };
}
