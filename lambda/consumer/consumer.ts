import type { SQSRecord } from 'aws-lambda';
import { BODY_ENCODING_ATTRIBUTE, decodeQueueBody } from '../common/queue-message';
import { applyPlan, type ApplyResult, type UpdateItem } from './apply';
import type { ConsumerConfig } from './config';
import { parseIsoInstant, parseReceivedEvent, type MessageEvent } from './event';
import { planWrites } from './state-rules';

export interface RecordOutcome extends ApplyResult {
  readonly event: MessageEvent;
}

/** What the consumer reads of a state-queue record: the body, and the times around it when given. */
export type ConsumerRecord = Pick<SQSRecord, 'body'> &
  Partial<{
    readonly attributes: Partial<Pick<SQSRecord['attributes'], 'SentTimestamp'>>;
    readonly messageAttributes: Readonly<Record<string, { readonly stringValue?: string | undefined } | undefined>>;
  }>;

/**
 * When the webhook was received: the ingest's `receivedAt` message attribute (it survives a
 * redrive from the DLQ), else the time SQS got the message (`SentTimestamp`, epoch ms), else
 * `now`; never later than `now`, since the record is being processed after it arrived.
 */
export function receivedAtOf(record: ConsumerRecord, now: Date): Date {
  const stamped = record.messageAttributes?.['receivedAt']?.stringValue;
  const fromIngest = stamped === undefined ? undefined : parseIsoInstant(stamped);
  const sent = record.attributes?.SentTimestamp;
  const fromSqs = sent !== undefined && /^\d+$/.test(sent) && Number(sent) > 0 ? Number(sent) : undefined;
  return new Date(Math.min(fromIngest ?? fromSqs ?? now.getTime(), now.getTime()));
}

/**
 * Processes one state-queue record: parse the raw webhook body (decoded when encoded), plan the conditional writes,
 * apply them. Throws `InvalidEventError` for a body that is not a webhook envelope, and any
 * DynamoDB error other than a refused condition, so that the batch reports this record alone.
 */
export function createRecordProcessor(config: ConsumerConfig, update: UpdateItem, now: () => Date = () => new Date()) {
  return async (record: ConsumerRecord): Promise<RecordOutcome> => {
    const time = now();
    const receivedAt = receivedAtOf(record, time);
    // The ingest base64-encodes a body SQS would refuse, and flags it (common/queue-message.ts).
    const raw = decodeQueueBody(record.body, record.messageAttributes?.[BODY_ENCODING_ATTRIBUTE]?.stringValue);
    const event = parseReceivedEvent(raw, receivedAt);
    const plan = planWrites(event, {
      tableName: config.tableName,
      now: time,
      receivedAt,
      ...(config.retentionDays !== undefined ? { retentionDays: config.retentionDays } : {}),
    });
    return { event, ...(await applyPlan(plan, update)) };
  };
}
