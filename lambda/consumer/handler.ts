import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { InvalidEventError } from '../common/errors';
import { loadConsumerConfig } from './config';
import { createRecordProcessor, type RecordOutcome } from './consumer';
import { forwardToArchive, type SendMessageBatch } from './archive-forward';
import { optionalEnv } from '../common/env';
import { CONSUMER_METRICS, DEFAULT_METRICS_NAMESPACE, METRICS_NAMESPACE_ENV, METRICS_SERVICE } from '../common/metrics';

// No Powertools Tracer: the function's active tracing records each invocation; per-record
// subsegments would cost more than they tell, and the logs carry the ids to follow an event.
const logger = new Logger({ serviceName: 'volt-webhooks-consumer' });
const metrics = new Metrics({
  namespace: optionalEnv(METRICS_NAMESPACE_ENV) ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: METRICS_SERVICE.consumer,
});
const dynamodb = new DynamoDBClient({});
const config = loadConsumerConfig();
const processor = new BatchProcessor(EventType.SQS);
const processRecord = createRecordProcessor(config, (params) => dynamodb.send(new UpdateItemCommand(params)));
// Only when the stack archives: the archive queue's URL comes with the send grant.
const archiveQueueUrl = config.archiveQueueUrl;
const sqs =
  archiveQueueUrl === undefined
    ? undefined
    : new SQSClient({
        // A hanging SQS must fail the forward well inside the function's timeout, not end the
        // invocation there: the records' failures are then reported one by one, as usual.
        requestHandler: { connectionTimeout: 1000, requestTimeout: 5000, throwOnRequestTimeout: true },
      });
const sendMessageBatch: SendMessageBatch | undefined = sqs && ((input) => sqs.send(new SendMessageBatchCommand(input)));

/** `name: message` only: SDK errors may carry request or response details. */
function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The ids the ingest function put on the message, so even a record that fails to parse is correlated. */
function attributeKeys(record: SQSRecord): Record<string, string> {
  const keys: Record<string, string> = {};
  const webhookId = record.messageAttributes?.['webhookId']?.stringValue;
  const messageId = record.messageAttributes?.['messageId']?.stringValue;
  if (webhookId) keys['webhookId'] = webhookId;
  if (messageId) keys['messageId'] = messageId;
  return keys;
}

function recordMetrics({ event, effect, writes, historyDropped }: RecordOutcome, now: number): void {
  // A new event whose history entry did not fit (docs/message-state.md, "Why the history bound is safe").
  if (historyDropped) metrics.addMetric(CONSUMER_METRICS.historyDropped, MetricUnit.Count, 1);
  if (effect === 'state') metrics.addMetric(CONSUMER_METRICS.stateChanged, MetricUnit.Count, 1);
  // A state write refused then a history write accepted: an older or outranked event.
  else if (effect === 'history' && writes === 2) metrics.addMetric(CONSUMER_METRICS.stale, MetricUnit.Count, 1);
  else if (effect === 'history') metrics.addMetric(CONSUMER_METRICS.historyOnly, MetricUnit.Count, 1);
  else if (!historyDropped) metrics.addMetric(CONSUMER_METRICS.duplicate, MetricUnit.Count, 1);
  if (event.occurredAt !== undefined) {
    const lag = now - Date.parse(event.occurredAt);
    if (Number.isFinite(lag))
      metrics.addMetric(CONSUMER_METRICS.consumerLag, MetricUnit.Milliseconds, Math.max(0, lag));
  }
}

async function recordHandler(record: SQSRecord): Promise<void> {
  // Records of a batch run concurrently, so keys on the shared logger would leak between them:
  // each record logs through its own child, which is dropped (keys and all) when it is done.
  const log = logger.createChild({ persistentKeys: { sqsMessageId: record.messageId, ...attributeKeys(record) } });
  try {
    const outcome = await processRecord(record);
    const { event, effect, writes, historyDropped } = outcome;
    log.appendPersistentKeys({ webhookId: event.webhookId, messageId: event.messageId });
    recordMetrics(outcome, Date.now());
    // Fields chosen one by one: never the body, the numbers or the text.
    const fields = { eventType: event.eventType, status: event.status, effect, writes };
    if (historyDropped) log.warn('history full: event left out of history', { ...fields, historyDropped });
    else log.info('event applied', fields);
  } catch (err: unknown) {
    metrics.addMetric(CONSUMER_METRICS.recordFailed, MetricUnit.Count, 1);
    // Rethrown either way: the batch processor reports this record alone as failed.
    if (err instanceof InvalidEventError)
      log.error('unparseable record, left for retry and the DLQ', { reason: err.message });
    else log.error('record failed', { error: describeError(err) });
    throw err;
  }
}

/**
 * Forwards the batch's deliveries to the archive queue; the records the queue did not take come
 * back as failures. Logs ids and SQS's reason only, never a body.
 */
async function forwardBatch(records: readonly SQSRecord[], queueUrl: string, send: SendMessageBatch) {
  const { forwarded, skipped, failed } = await forwardToArchive(records, { queueUrl, send });
  if (forwarded > 0) metrics.addMetric(CONSUMER_METRICS.archiveForwarded, MetricUnit.Count, forwarded);
  if (failed.length > 0) metrics.addMetric(CONSUMER_METRICS.archiveForwardFailed, MetricUnit.Count, failed.length);
  for (const f of failed) logger.error('delivery not forwarded to the archive, left for retry', { ...f });
  for (const s of skipped)
    if (s.reason === 'not-a-delivery')
      logger.warn("record not forwarded to the archive: it lacks the ingest's attributes", { ...s });
  return failed.map((f) => ({ itemIdentifier: f.sqsMessageId }));
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  try {
    // The forward runs beside the state writes, not before them: neither waits for the other's
    // round trips, and a record is retried when either failed. The state write is idempotent
    // (the state rules dedupe on webhookId), and the archive is at least once.
    const [state, forwardFailures] = await Promise.all([
      // A batch where every record failed is reported like any other, not thrown: same retries, clearer logs.
      processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false }),
      archiveQueueUrl !== undefined && sendMessageBatch
        ? forwardBatch(event.Records, archiveQueueUrl, sendMessageBatch)
        : [],
    ]);
    if (forwardFailures.length === 0) return state;
    const failed = new Set(state.batchItemFailures.map((f) => f.itemIdentifier));
    return {
      batchItemFailures: [...state.batchItemFailures, ...forwardFailures.filter((f) => !failed.has(f.itemIdentifier))],
    };
  } finally {
    // Flushed per invocation (per batch), so a crash later loses nothing already counted.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
