import type { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SendMessageBatchCommand, SendMessageBatchCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { eventBody } from '../../../helpers/message-events';
import { deliveryRecord } from '../../../helpers/sqs-record';

// The consumer's handler with the archive on: every delivery of the batch is forwarded to the
// archive queue beside its state write, and a record fails when either failed.

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
/* eslint-disable @typescript-eslint/no-explicit-any -- the stubs' input/output types vary per command */
type Stub = AwsStub<any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ARCHIVE_QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/archive';
const context = {
  functionName: 'consumer',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

interface Loaded {
  readonly handler: Handler;
  readonly ddb: Stub;
  readonly sqs: Stub;
  readonly Update: typeof UpdateItemCommand;
  readonly SendBatch: typeof SendMessageBatchCommand;
}

/** A cold start in its own module registry, with DynamoDB and SQS mocked there. */
function load(env: Record<string, string>): Loaded {
  const saved = { ...process.env };
  Object.assign(process.env, {
    TABLE_NAME: 'messages',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...env,
  });
  let loaded: Loaded | undefined;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry per cold start needs require() */
    jest.isolateModules(() => {
      const dynamo = require('@aws-sdk/client-dynamodb') as {
        DynamoDBClient: typeof DynamoDBClient;
        UpdateItemCommand: typeof UpdateItemCommand;
      };
      const sqsModule = require('@aws-sdk/client-sqs') as {
        SQSClient: typeof SQSClient;
        SendMessageBatchCommand: typeof SendMessageBatchCommand;
      };
      const ddb = mockClient(dynamo.DynamoDBClient);
      const sqs = mockClient(sqsModule.SQSClient);
      ddb.on(dynamo.UpdateItemCommand).resolves({});
      sqs.on(sqsModule.SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
        Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
      }));
      const handler = (require('../../../../lambda/consumer/handler') as { handler: Handler }).handler;
      loaded = {
        handler,
        ddb,
        sqs,
        Update: dynamo.UpdateItemCommand,
        SendBatch: sqsModule.SendMessageBatchCommand,
      };
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
  } finally {
    process.env = saved;
  }
  return loaded!;
}

/** A delivery of a new event as the ingest queued it. */
function delivery(n: number, json?: string): SQSRecord {
  const webhookId = `rfw_h${n}`;
  const messageId = `rf_h${n}`;
  return deliveryRecord(
    `sqs-${n}`,
    json ?? eventBody({ webhookId, messageId, eventType: 'message.sent', status: 'sent' }),
    {
      webhookId,
      messageId,
      eventType: 'message.sent',
      receivedAt: '2026-11-29T10:00:00.000Z',
      signature: 'c2lnbmF0dXJl',
    },
  );
}

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
/** The webhook ids of the entries sent to the archive queue, call by call. */
const forwardedIds = (l: Loaded) =>
  l.sqs
    .commandCalls(l.SendBatch)
    .map((c) => (c.args[0].input.Entries ?? []).map((e) => e.MessageAttributes?.['webhookId']?.StringValue));
const failures = (r: SQSBatchResponse) => r.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('consumer handler, archive on', () => {
  let l: Loaded;
  beforeEach(() => {
    l = load({ ARCHIVE_QUEUE_URL: ARCHIVE_QUEUE });
  });
  afterEach(() => {
    l.ddb.restore();
    l.sqs.restore();
  });

  it('writes the state and forwards every record of the batch to the archive queue, body and attributes as received', async () => {
    const records = Array.from({ length: 12 }, (_, i) => delivery(i));
    const response = await l.handler(batch(...records), context);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(l.ddb.commandCalls(l.Update)).toHaveLength(12);
    expect(forwardedIds(l)).toEqual([
      records.slice(0, 10).map((r) => r.messageAttributes['webhookId']?.stringValue),
      records.slice(10).map((r) => r.messageAttributes['webhookId']?.stringValue),
    ]);
    const first = l.sqs.commandCalls(l.SendBatch)[0]!.args[0].input;
    expect(first.QueueUrl).toBe(ARCHIVE_QUEUE);
    expect(first.Entries?.[0]?.MessageBody).toBe(records[0]!.body);
    expect(first.Entries?.[0]?.MessageAttributes).toEqual(
      Object.fromEntries(
        Object.entries(records[0]!.messageAttributes).map(([k, v]) => [
          k,
          { DataType: v.dataType, StringValue: v.stringValue },
        ]),
      ),
    );
  });

  it('reports every record of a forward call that failed, although their state writes succeeded', async () => {
    l.sqs.on(l.SendBatch).rejects(Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' }));
    const records = [delivery(1), delivery(2), delivery(3)];
    const response = await l.handler(batch(...records), context);
    expect(l.ddb.commandCalls(l.Update)).toHaveLength(3);
    expect(failures(response)).toEqual(['sqs-1', 'sqs-2', 'sqs-3']);
  });

  it('reports the record whose entry SQS refused, and only it', async () => {
    l.sqs.on(l.SendBatch).resolves({
      Successful: [
        { Id: '0', MessageId: 'a', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'c', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const response = await l.handler(batch(delivery(1), delivery(2), delivery(3)), context);
    expect(failures(response)).toEqual(['sqs-2']);
  });

  it('reports a record whose state write failed although it was forwarded, once when both failed', async () => {
    l.ddb.on(l.Update).callsFake((input: { Key?: { messageId?: { S?: string } } }) => {
      if (input.Key?.messageId?.S === 'rf_h2')
        throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      return {};
    });
    l.sqs.on(l.SendBatch).resolves({
      Successful: [
        { Id: '0', MessageId: 'a', MD5OfMessageBody: '' },
        { Id: '2', MessageId: 'c', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
    });
    const response = await l.handler(batch(delivery(1), delivery(2), delivery(3)), context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'sqs-2' }]);

    l.sqs.on(l.SendBatch).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
    }));
    const second = await l.handler(batch(delivery(1), delivery(2), delivery(3)), context);
    expect(failures(second)).toEqual(['sqs-2']);
  });

  it('forwards an unparseable delivery (reported for its state), and skips a replayed one (state written)', async () => {
    const bad = delivery(1, '{"payload": "no envelope id"');
    const replayed = delivery(2);
    replayed.messageAttributes['replayed'] = {
      dataType: 'String',
      stringValue: 'r-1',
      stringListValues: [],
      binaryListValues: [],
    };
    const response = await l.handler(batch(bad, replayed, delivery(3)), context);
    expect(failures(response)).toEqual(['sqs-1']);
    expect(forwardedIds(l)).toEqual([['rfw_h1', 'rfw_h3']]);
    expect(l.ddb.commandCalls(l.Update)).toHaveLength(2);
  });
});

describe('consumer handler, archive off', () => {
  it('makes no SQS call without ARCHIVE_QUEUE_URL', async () => {
    const l = load({});
    try {
      const response = await l.handler(batch(delivery(1), delivery(2)), context);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(l.ddb.commandCalls(l.Update)).toHaveLength(2);
      expect(l.sqs.calls()).toHaveLength(0);
    } finally {
      l.ddb.restore();
      l.sqs.restore();
    }
  });
});
