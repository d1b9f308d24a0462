import {
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  ConditionalCheckFailedException,
} from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createMessageTable, startDynalite, type DynamoStandIn } from '../../../helpers/dynalite';
import { eventBody } from '../../../helpers/message-events';
import { sqsRecord } from '../../../helpers/sqs-record';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const ENV_KEYS = [
  'TABLE_NAME',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let db: DynamoStandIn;
let tableName: string;
let handler: Handler;

const context = {
  functionName: 'consumer',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

beforeAll(async () => {
  db = await startDynalite();
  tableName = await createMessageTable(db.client);
  // The handler reads its configuration and builds its client at import, as on a cold start.
  Object.assign(process.env, {
    TABLE_NAME: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the import must run after the environment is set
  ({ handler } = require('../../../../lambda/consumer/handler') as { handler: Handler });
}, 30_000);

afterAll(async () => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  await db.close();
});

describe('consumer handler', () => {
  it('reports exactly the unparseable record of a batch, and applies the others', async () => {
    const id = 'rf_handler_1';
    const response = await handler(
      {
        Records: [
          sqsRecord(
            'sqs-1',
            eventBody({ webhookId: 'w-sent', messageId: id, eventType: 'message.sent', status: 'sent' }),
          ),
          sqsRecord('sqs-2', '{"payload": "no envelope id"'),
          sqsRecord(
            'sqs-3',
            eventBody({ webhookId: 'w-fin', messageId: id, eventType: 'message.finalized', status: 'delivered' }),
          ),
        ],
      },
      context,
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'sqs-2' }] });
    const { Item } = await db.client.send(
      new GetItemCommand({ TableName: tableName, Key: { messageId: { S: id } }, ConsistentRead: true }),
    );
    expect(Item?.status?.S).toBe('delivered');
    expect(Item?.history?.L).toHaveLength(2);
  });

  it('reports every record of a batch that failed entirely, without throwing', async () => {
    const response = await handler({ Records: [sqsRecord('a', ''), sqsRecord('b', '[]')] }, context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['a', 'b']);
  });

  it('reports only the record whose write failed, and treats a refused condition as no failure', async () => {
    const ddb = mockClient(DynamoDBClient);
    try {
      ddb.on(UpdateItemCommand).callsFake((input: { Key: { messageId: { S: string } } }) => {
        const id = input.Key.messageId.S;
        if (id === 'rf_throttled')
          throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
        if (id === 'rf_duplicate')
          throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
        return {};
      });
      const response = await handler(
        {
          Records: [
            sqsRecord('ok', eventBody({ webhookId: 'w1', messageId: 'rf_ok' })),
            sqsRecord('throttled', eventBody({ webhookId: 'w2', messageId: 'rf_throttled' })),
            sqsRecord('duplicate', eventBody({ webhookId: 'w3', messageId: 'rf_duplicate' })),
          ],
        },
        context,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'throttled' }] });
      // The mocked refusal carries no item (as from a server that ignores ReturnValuesOnConditionCheckFailure),
      // so the duplicate cost its two conditional writes, as before that parameter, and nothing more.
      const calls = ddb
        .commandCalls(UpdateItemCommand)
        .filter((c) => c.args[0].input.Key?.messageId?.S === 'rf_duplicate');
      expect(calls).toHaveLength(2);
    } finally {
      ddb.restore();
    }
  });
});
