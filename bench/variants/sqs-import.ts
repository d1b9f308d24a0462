import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The SDK's SQS client imported and constructed, never called: what loading it alone costs a
// cold start, to set against the floor (sqs-only.ts), which also sends one message.
const sqs = new SQSClient({});

export const handler = async (): Promise<{ statusCode: number; client: string; command: string }> => ({
  statusCode: 200,
  client: typeof sqs.send,
  command: typeof SendMessageCommand,
});
