import type { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { SendMessageCommand, SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';

export type IngestHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A cold-started ingest handler whose SQS client is mocked, with what it sent. */
export interface IngestHarness {
  readonly handler: IngestHandler;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input/output types vary per command
  readonly sqs: AwsStub<any, any, any>;
  /** That registry's SendMessageCommand, for `sqs.on(Send, ...)` and `sqs.commandCalls(Send)`. */
  readonly Send: typeof SendMessageCommand;
  /** The registration window's client: every GetItem finds nothing (closed) unless stubbed otherwise. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as for `sqs`
  readonly dynamodb: AwsStub<any, any, any>;
  readonly GetItem: typeof GetItemCommand;
  readonly UpdateItem: typeof UpdateItemCommand;
  /** Every SendMessage input so far, in order. */
  sent(): SendMessageCommandInput[];
  /** Forgets what was sent (keeps the stubbed answers). */
  reset(): void;
}

/**
 * Loads `lambda/ingest/handler` fresh in its own module registry, as a cold start with `env`
 * would, with that registry's `SQSClient` mocked to accept every send. The handler reads its
 * configuration at import, so `env` is applied only for the import and restored afterwards.
 */
export function loadIngestHarness(env: Readonly<Record<string, string | undefined>>): IngestHarness {
  const saved = { ...process.env };
  // An undefined value removes the variable for this cold start.
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let harness: IngestHarness | undefined;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry per cold start needs require() */
    jest.isolateModules(() => {
      const isolated = require('@aws-sdk/client-sqs') as {
        SQSClient: typeof SQSClient;
        SendMessageCommand: typeof SendMessageCommand;
      };
      const sqs = mockClient(isolated.SQSClient);
      const Send = isolated.SendMessageCommand;
      sqs.on(Send).resolves({ MessageId: 'mock-message-id' });
      const dynamo = require('@aws-sdk/client-dynamodb') as {
        DynamoDBClient: typeof DynamoDBClient;
        GetItemCommand: typeof GetItemCommand;
        UpdateItemCommand: typeof UpdateItemCommand;
      };
      const dynamodb = mockClient(dynamo.DynamoDBClient);
      dynamodb.on(dynamo.GetItemCommand).resolves({});
      dynamodb.on(dynamo.UpdateItemCommand).resolves({});
      const { handler } = require('../../lambda/ingest/handler') as { handler: IngestHandler };
      harness = {
        handler,
        sqs,
        Send,
        dynamodb,
        GetItem: dynamo.GetItemCommand,
        UpdateItem: dynamo.UpdateItemCommand,
        sent: () => sqs.commandCalls(Send).map((c) => c.args[0].input as SendMessageCommandInput),
        reset: () => sqs.resetHistory(),
      };
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
  } finally {
    process.env = saved;
  }
  if (!harness) throw new Error('the ingest handler did not load');
  return harness;
}
