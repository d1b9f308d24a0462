import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The floor (sqs-floor.ts) plus Powertools Logger and Metrics loaded and constructed as the
// ingest constructs them: set against the floor it is what Powertools costs a cold start, and
// the ingest set against it is what our own code costs.
const logger = new Logger({ serviceName: 'volt-webhooks-ingest' });
const metrics = new Metrics({ namespace: 'VoltWebhooksBench', serviceName: 'ingest' });
const sqs = new SQSClient({});
const targets = JSON.parse(process.env['TARGET_QUEUES'] ?? '[]') as { queueUrl: string }[];

export const handler = async (event: { body?: string }): Promise<{ statusCode: number; logLevel: number }> => {
  await sqs.send(new SendMessageCommand({ QueueUrl: targets[0]?.queueUrl, MessageBody: event.body ?? '' }));
  // As in the ingest: nothing is published for an accepted event.
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  return { statusCode: 200, logLevel: logger.level };
};
