import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The SDK's SQS client module loaded and nothing else: what importing it costs a cold start.
// The handler names both exports so that the bundler keeps the module.
export const handler = async (): Promise<{ statusCode: number; client: string; command: string }> => ({
  statusCode: 200,
  client: typeof SQSClient,
  command: typeof SendMessageCommand,
});
