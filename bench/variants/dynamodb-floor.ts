import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

// The floor for the consumer: the SDK's DynamoDB client alone, one UpdateItem per record with no
// condition, no rules, no logging. No implementation on the real SDK can do less.
const dynamodb = new DynamoDBClient({});
const tableName = process.env['TABLE_NAME'] ?? 'messages';

export const handler = async (event: {
  Records: { messageId: string; body: string }[];
}): Promise<{ batchItemFailures: never[] }> => {
  for (const record of event.Records) {
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { messageId: { S: record.messageId } },
        UpdateExpression: 'SET #b = :b',
        ExpressionAttributeNames: { '#b': 'body' },
        ExpressionAttributeValues: { ':b': { S: record.body } },
      }),
    );
  }
  return { batchItemFailures: [] };
};
