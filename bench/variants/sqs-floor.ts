import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The floor for the ingest: the SDK's SQS client alone sending one message per event, no
// verification, no logging. No implementation on the real SDK can do less.
const sqs = new SQSClient({});
const targets = JSON.parse(process.env['TARGET_QUEUES'] ?? '[]') as { queueUrl: string }[];

export const handler = async (event: { body?: string }): Promise<{ statusCode: number }> => {
  await sqs.send(new SendMessageCommand({ QueueUrl: targets[0]?.queueUrl, MessageBody: event.body ?? '' }));
  return { statusCode: 200 };
};
