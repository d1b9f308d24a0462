import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SQSBatchResponse, SQSEvent, SQSRecord, Context } from 'aws-lambda';
import { InvalidEventError } from '../shared/errors';
import { loadConsumerConfig } from './config';
import { createRecordProcessor } from './consumer';

const logger = new Logger({ serviceName: 'volt-webhooks-consumer' });
const dynamodb = new DynamoDBClient({});
const config = loadConsumerConfig();
const processor = new BatchProcessor(EventType.SQS);
const processRecord = createRecordProcessor(config, (params) => dynamodb.send(new UpdateItemCommand(params)));

async function recordHandler(record: SQSRecord): Promise<void> {
  try {
    const { event, effect, writes } = await processRecord(record);
    logger.info('event applied', { webhookId: event.webhookId, messageId: event.messageId, eventType: event.eventType, effect, writes });
  } catch (err: unknown) {
    // Rethrown either way: the batch processor reports this record alone as failed.
    if (err instanceof InvalidEventError) logger.error('unparseable record, left for retry and the DLQ', { sqsMessageId: record.messageId, reason: err.message });
    else logger.error('record failed', { sqsMessageId: record.messageId, error: err as Error });
    throw err;
  }
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  // A batch where every record failed is reported like any other, not thrown: same retries, clearer logs.
  processPartialResponse(event, recordHandler, processor, { context, throwOnFullBatchFailure: false });
