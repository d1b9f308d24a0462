import type { SQSRecord } from 'aws-lambda';
import { applyPlan, type ApplyResult, type UpdateItem } from './apply';
import type { ConsumerConfig } from './config';
import { parseMessageEvent, type MessageEvent } from './event';
import { planWrites } from './state-rules';

export interface RecordOutcome extends ApplyResult {
  readonly event: MessageEvent;
}

/**
 * Processes one state-queue record: parse the raw webhook body, plan the conditional writes,
 * apply them. Throws `InvalidEventError` for a body that is not a webhook envelope, and any
 * DynamoDB error other than a refused condition, so that the batch reports this record alone.
 */
export function createRecordProcessor(config: ConsumerConfig, update: UpdateItem, now: () => Date = () => new Date()) {
  return async (record: Pick<SQSRecord, 'body'>): Promise<RecordOutcome> => {
    const event = parseMessageEvent(record.body);
    const plan = planWrites(event, {
      tableName: config.tableName,
      now: now(),
      ...(config.retentionDays !== undefined ? { retentionDays: config.retentionDays } : {}),
    });
    return { event, ...(await applyPlan(plan, update)) };
  };
}
