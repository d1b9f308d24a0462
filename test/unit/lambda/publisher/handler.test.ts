import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

type Handler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

const ENV_KEYS = [
  'EVENT_BUS',
  'EVENT_SOURCE',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'POWERTOOLS_LOG_LEVEL',
  'POWERTOOLS_METRICS_DISABLED',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
const eventBridge = mockClient(EventBridgeClient);
let handler: Handler;

const context = { functionName: 'publisher', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

function change(n: number): DynamoDBRecord {
  return {
    eventID: `ev-handler-${n}`,
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: `00${n}`,
      NewImage: {
        messageId: { S: `rf_${n}` },
        webhookId: { S: `rfw_${n}` },
        stateKey: { S: `3#2026-11-25T01:00:00.000Z#rfw_${n}` },
        status: { S: 'delivered' },
        eventType: { S: 'message.finalized' },
        occurredAt: { S: '2026-11-25T01:00:00.000Z' },
      },
    },
  };
}

beforeAll(() => {
  Object.assign(process.env, {
    EVENT_BUS: 'arn:aws:events:us-east-1:111122223333:event-bus/status',
    EVENT_SOURCE: 'volt-sms-webhooks',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the import must run after the environment is set
  ({ handler } = require('../../../../lambda/publisher/handler') as { handler: Handler });
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  eventBridge.restore();
});

beforeEach(() => eventBridge.reset());

describe('publisher handler', () => {
  it('puts the batch’s changes on the configured bus with the configured source, and reports no failure', async () => {
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'id' })),
    }));
    const response = await handler({ Records: [change(1), change(2)] }, context);
    expect(response).toEqual({ batchItemFailures: [] });
    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => [e.EventBusName, e.Source, e.DetailType])).toEqual([
      ['arn:aws:events:us-east-1:111122223333:event-bus/status', 'volt-sms-webhooks', 'Message Delivered'],
      ['arn:aws:events:us-east-1:111122223333:event-bus/status', 'volt-sms-webhooks', 'Message Delivered'],
    ]);
  });

  it('reports the first record it could not put, so that Lambda retries from it', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalException' }));
    const response = await handler({ Records: [change(3), change(4)] }, context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '003' }] });
  });

  it('skips on a retried batch what this environment put already', async () => {
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: { Detail: string }[] }) => ({
      FailedEntryCount: 1,
      Entries: input.Entries.map((e) =>
        e.Detail.includes('rfw_6') ? { ErrorCode: 'InternalFailure', ErrorMessage: 'no' } : { EventId: 'id' },
      ),
    }));
    const first = await handler({ Records: [change(5), change(6), change(7)] }, context);
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: '006' }] });
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).callsFake(async (input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(() => ({ EventId: 'id' })),
    }));
    const retry = await handler({ Records: [change(6), change(7)] }, context);
    expect(retry).toEqual({ batchItemFailures: [] });
    const resent = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(resent.map((e) => JSON.parse(e.Detail ?? '{}').webhookId)).toEqual(['rfw_6']);
  }, 20_000);
});
