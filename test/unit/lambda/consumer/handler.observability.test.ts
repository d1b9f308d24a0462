import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { vendorEvents } from '../../../helpers/fixtures';
import { sqsRecord } from '../../../helpers/sqs-record';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const context = {
  functionName: 'consumer',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input/output types vary per command
let ddb: AwsStub<any, any, any>;
let Update: typeof UpdateItemCommand;

/** A cold start in its own module registry, with DynamoDB mocked there. */
function loadHandler(): Handler {
  const saved = { ...process.env };
  Object.assign(process.env, { TABLE_NAME: 'messages', AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'DEBUG' });
  delete process.env['POWERTOOLS_DEV'];
  delete process.env['POWERTOOLS_METRICS_DISABLED'];
  let handler: Handler | undefined;
  try {
    /* eslint-disable @typescript-eslint/no-require-imports -- a fresh module registry per cold start needs require() */
    jest.isolateModules(() => {
      const isolated = require('@aws-sdk/client-dynamodb') as {
        DynamoDBClient: typeof DynamoDBClient;
        UpdateItemCommand: typeof UpdateItemCommand;
      };
      ddb = mockClient(isolated.DynamoDBClient);
      Update = isolated.UpdateItemCommand;
      ddb.on(Update).resolves({});
      handler = (require('../../../../lambda/consumer/handler') as { handler: Handler }).handler;
    });
    /* eslint-enable @typescript-eslint/no-require-imports */
  } finally {
    process.env = saved;
  }
  return handler!;
}

async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const raw: string[] = [];
  const capture = (chunk: unknown): boolean => {
    raw.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const result = await fn();
    return { result, lines: raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const metricNames = (lines: Record<string, unknown>[]) =>
  lines
    .filter((l) => l['_aws'] !== undefined)
    .flatMap((l) =>
      (l['_aws'] as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] }).CloudWatchMetrics.flatMap(
        (d) => d.Metrics,
      ),
    );

describe('consumer logs and metrics', () => {
  it('logs each record of a concurrent batch with its own ids, and no phone number or text', async () => {
    const handler = loadHandler();
    const events = vendorEvents();
    const { result, lines } = await captured(() =>
      handler({ Records: events.map((e, i) => sqsRecord(`sqs-${i}`, e.raw)) }, context),
    );
    expect(result.batchItemFailures).toEqual([]);
    const applied = lines.filter((l) => l['message'] === 'event applied');
    expect(applied).toHaveLength(events.length);
    for (const [i, e] of events.entries()) {
      const payload = e.json['payload'] as Record<string, unknown>;
      const line = applied.find((l) => l['sqsMessageId'] === `sqs-${i}`);
      expect(line?.['webhookId']).toBe(e.json['id']);
      expect(line?.['messageId']).toBe(typeof payload['id'] === 'string' ? payload['id'] : payload['message_app_id']);
    }
    const text = JSON.stringify(lines);
    for (const e of events) {
      for (const number of e.raw.match(/\+\d{8,15}/g) ?? []) expect(text).not.toContain(number);
      const body = (e.json['payload'] as Record<string, unknown>)['text'];
      if (typeof body === 'string' && body !== '') expect(text).not.toContain(body);
    }
  });

  it('emits StateChanged and ConsumerLag in milliseconds for a new event', async () => {
    const handler = loadHandler();
    const { lines } = await captured(() => handler({ Records: [sqsRecord('a', vendorEvents()[0]!.raw)] }, context));
    const metrics = metricNames(lines);
    expect(metrics).toEqual(
      expect.arrayContaining([
        { Name: 'StateChanged', Unit: 'Count' },
        { Name: 'ConsumerLag', Unit: 'Milliseconds' },
      ]),
    );
    const lag = lines.find((l) => l['ConsumerLag'] !== undefined)?.['ConsumerLag'];
    // The vendor's examples happened in 2022.
    expect(Number(lag)).toBeGreaterThan(365 * 24 * 3600 * 1000);
  });

  it('emits Duplicate when both conditional writes are refused, and Stale when only the state write is', async () => {
    const handler = loadHandler();
    const refused = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
    });
    ddb.on(Update).rejects(refused);
    const dup = await captured(() => handler({ Records: [sqsRecord('d', vendorEvents()[0]!.raw)] }, context));
    expect(metricNames(dup.lines).map((m) => m.Name)).toContain('Duplicate');

    ddb.reset();
    ddb.on(Update).rejectsOnce(refused).resolves({});
    const stale = await captured(() => handler({ Records: [sqsRecord('s', vendorEvents()[0]!.raw)] }, context));
    expect(metricNames(stale.lines).map((m) => m.Name)).toContain('Stale');
    expect(metricNames(stale.lines).map((m) => m.Name)).not.toContain('StateChanged');
  });

  it('emits HistoryDropped and logs a WARN, not Duplicate, for a stale event left out of a full history', async () => {
    const handler = loadHandler();
    const ids = Array.from({ length: 50 }, (_, i) => `old-${i}`);
    const refused = Object.assign(new Error('The conditional request failed'), {
      name: 'ConditionalCheckFailedException',
      // The item DynamoDB returns with the refusal: a final state, and 50 entries already.
      Item: {
        stateKey: { S: '3#2030-01-01T00:00:00.000Z#fin' },
        appliedIds: { SS: ids },
        history: { L: ids.map((id) => ({ M: { webhookId: { S: id } } })) },
      },
    });
    ddb.on(Update).rejects(refused);
    const sent = vendorEvents().find((e) => e.name === 'message-sent')!;
    const { lines } = await captured(() => handler({ Records: [sqsRecord('s', sent.raw)] }, context));
    const names = metricNames(lines).map((m) => m.Name);
    expect(names).toContain('HistoryDropped');
    expect(names).not.toContain('Duplicate');
    const warn = lines.find((l) => l['level'] === 'WARN');
    expect(warn).toMatchObject({
      message: 'history full: event left out of history',
      webhookId: sent.json['id'],
      effect: 'none',
      historyDropped: true,
    });
    expect(ddb.commandCalls(Update)).toHaveLength(1);
  });

  it('logs a record that cannot be parsed with its SQS id and without its body', async () => {
    const handler = loadHandler();
    const { result, lines } = await captured(() =>
      handler({ Records: [sqsRecord('bad', '{"to_number":"+15555550999"')] }, context),
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    const error = lines.find((l) => l['level'] === 'ERROR');
    expect(error?.['sqsMessageId']).toBe('bad');
    expect(JSON.stringify(lines)).not.toContain('+15555550999');
    expect(metricNames(lines).map((m) => m.Name)).toContain('RecordFailed');
  });
});
