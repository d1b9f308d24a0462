import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

// The SDK's SQS client imported and constructed, never called: set against sqs-import.ts it is
// what constructing the client costs, against sqs-floor.ts what the first request costs.
const sqs = new SQSClient({});

export const handler = async (): Promise<{ statusCode: number; client: string; command: string }> => ({
  statusCode: 200,
  client: typeof sqs.send,
  command: typeof SendMessageCommand,
});
