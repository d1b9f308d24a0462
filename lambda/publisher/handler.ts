import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { optionalEnv } from '../common/env';
import {
  DEFAULT_METRICS_NAMESPACE,
  METRICS_NAMESPACE_ENV,
  METRICS_SERVICE,
  PUBLISHER_METRICS,
} from '../common/metrics';
import { loadPublisherConfig } from './config';
import { publishChanges, PutMemory, type PublishRecord } from './publish';

// The batch is handled as a whole, not by Powertools' per-record batch processor: entries are
// grouped into PutEvents calls, and a stream checkpoints at the first failure, so the records of
// a batch are not independent as an SQS batch's are (see publish.ts).
const logger = new Logger({ serviceName: 'volt-webhooks-publisher' });
const metrics = new Metrics({
  namespace: optionalEnv(METRICS_NAMESPACE_ENV) ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: METRICS_SERVICE.publisher,
});
const eventBridge = new EventBridgeClient({});
const config = loadPublisherConfig();
// Survives between invocations of this environment: a retried batch skips what was put already.
const memory = new PutMemory();

/** Time kept back from the function's timeout for the answer to reach Lambda. */
const RETURN_MARGIN_MS = 2000;

export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  const result = await publishChanges(event.Records as PublishRecord[], {
    eventBusName: config.eventBus,
    source: config.source,
    memory,
    deadline: Date.now() + context.getRemainingTimeInMillis() - RETURN_MARGIN_MS,
    putEvents: (entries) => eventBridge.send(new PutEventsCommand({ Entries: [...entries] })),
    // Ids and the status only: never the numbers.
    onPut: ({ detail, detailType }) =>
      logger.debug('event put', {
        messageId: detail.messageId,
        webhookId: detail.webhookId,
        detailType,
        status: detail.status,
      }),
    onRefused: ({ detail }, reason) =>
      logger.warn('event refused, to be sent again', {
        messageId: detail.messageId,
        webhookId: detail.webhookId,
        reason,
      }),
  });
  if (result.resent > 0) metrics.addMetric(PUBLISHER_METRICS.eventsResent, MetricUnit.Count, result.resent);
  if (result.failedSequenceNumber !== undefined) {
    metrics.addMetric(PUBLISHER_METRICS.publishFailed, MetricUnit.Count, 1);
    logger.error('events still refused: Lambda retries the batch from the first of them', {
      put: result.put,
      sequenceNumber: result.failedSequenceNumber,
    });
  }
  if (result.alreadyPut > 0) logger.info('retried batch: events put earlier skipped', { skipped: result.alreadyPut });
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return {
    batchItemFailures:
      result.failedSequenceNumber === undefined ? [] : [{ itemIdentifier: result.failedSequenceNumber }],
  };
};
