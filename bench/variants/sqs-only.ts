import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The floor for the ingest cold load: the SDK's SQS client alone, one SendMessage, no verification, no logging.
const sqs = new SQSClient({});
const targets = JSON.parse(process.env['TARGET_QUEUES'] ?? '[]') as { queueUrl: string }[];

export const handler = async (event: { body?: string }): Promise<{ statusCode: number }> => {
  await sqs.send(new SendMessageCommand({ QueueUrl: targets[0]?.queueUrl, MessageBody: event.body ?? '' }));
  return { statusCode: 200 };
};
