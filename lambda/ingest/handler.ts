import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadIngestConfig } from './config';
import { RETRY_AFTER_SECONDS, WebhookIngestor, type QueueMessageAttributes } from './ingest';

const logger = new Logger({ serviceName: 'volt-webhooks-ingest' });
// Volt expects an answer within about 2 s: fail a slow send fast and let Volt retry.
const sqs = new SQSClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 1500 } });
const config = loadIngestConfig();

function toAttributes(attributes: QueueMessageAttributes): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    // SQS rejects empty attribute values; an absent signature cannot reach here anyway.
    if (value !== '') result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}

const ingestor = new WebhookIngestor({
  ...config,
  send: async (queueUrl, body, attributes) => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: toAttributes(attributes) }));
  },
});

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  try {
    const { response, outcome } = await ingestor.handle(event);
    if (outcome.kind === 'enqueued') {
      logger.info('webhook enqueued', { webhookId: outcome.webhookId, messageId: outcome.messageId, eventType: outcome.eventType, queues: outcome.queues });
    } else if (outcome.kind === 'rejected') {
      logger.warn('webhook rejected', { reason: outcome.reason, statusCode: outcome.statusCode, detail: outcome.detail });
    } else {
      logger.error('webhook not enqueued', { ...outcome, keyFetchError: config.keyRing.lastError });
    }
    return response;
  } catch (err: unknown) {
    // A bug must not lose the event: answer 503 so that Volt delivers it again.
    logger.error('unexpected ingest failure', { error: err as Error });
    return {
      statusCode: 503,
      headers: { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) },
      body: JSON.stringify({ error: 'internal error, retry later' }),
    };
  }
};
