import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ago, checkLastWebhook, LOOKBACK_DAYS } from '../../../../cli/commands/last-webhook';
import { main } from '../../../../cli/main';
import type { StackContext } from '../../../../cli/stack-context';
import { startDynalite, type DynamoStandIn } from '../../../helpers/dynalite';

// doctor's "last webhook" line: CloudWatch's NumberOfMessagesSent of the state queue when
// deployed (mocked here), the table's newest updatedAt on the local stack (dynalite here).

const NOW = new Date('2026-12-01T12:00:00.000Z');
const minutesBefore = (m: number) => new Date(NOW.getTime() - m * 60_000);

describe('ago', () => {
  it.each([
    [0, '0 s ago'],
    [59, '59 s ago'],
    [60, '1 min ago'],
    [3 * 3600 + 12 * 60, '3 h 12 min ago'],
    [50 * 3600, '2 d 2 h ago'],
  ])('says %p seconds as %p', (seconds, text) => {
    expect(ago(new Date(NOW.getTime() - seconds * 1000), NOW)).toBe(text);
  });
});

describe('last webhook of a deployed stack', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  afterEach(() => cloudwatch.reset());
  afterAll(() => cloudwatch.restore());

  const ctx: StackContext = {
    kind: 'deployed',
    source: 'VoltSmsWebhooks',
    region: 'eu-west-1',
    outputs: { StateQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/VoltSmsWebhooks-StateQueue-AbC123' },
    dynamodb: {},
    sqs: {},
  };

  it('reports the newest minute with a message sent to the state queue, asking for one-minute sums newest first', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'sent',
          Timestamps: [minutesBefore(1), minutesBefore(2), minutesBefore(192), minutesBefore(193)],
          Values: [0, 0, 4, 9],
        },
      ],
    });
    const result = await checkLastWebhook(ctx, NOW);
    expect(result).toEqual({
      check: 'last webhook',
      status: 'ok',
      reason: expect.stringMatching(
        /^2026-12-01T08:48:00\.000Z \(3 h 12 min ago\), the last minute with an event sent to VoltSmsWebhooks-StateQueue-AbC123/,
      ),
    });
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.MetricDataQueries?.[0]?.MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/SQS',
        MetricName: 'NumberOfMessagesSent',
        Dimensions: [{ Name: 'QueueName', Value: 'VoltSmsWebhooks-StateQueue-AbC123' }],
      },
      Period: 60,
      Stat: 'Sum',
    });
    expect(input.ScanBy).toBe('TimestampDescending');
    expect(input.EndTime).toEqual(NOW);
    expect(input.StartTime).toEqual(new Date(NOW.getTime() - LOOKBACK_DAYS * 86_400_000));
  });

  it('reads further pages until it finds a minute with a message', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'sent', Timestamps: [minutesBefore(1), minutesBefore(2)], Values: [0, 0] }],
        NextToken: 'more',
      })
      .resolvesOnce({
        MetricDataResults: [{ Id: 'sent', Timestamps: [minutesBefore(3000)], Values: [1] }],
      });
    const result = await checkLastWebhook(ctx, NOW);
    expect(result).toMatchObject({ status: 'ok', reason: expect.stringContaining('(2 d 2 h ago)') });
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.NextToken).toBe('more');
  });

  it('skips, pointing at the silence alarm, when nothing was accepted in the look-back', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'sent', Timestamps: [minutesBefore(1)], Values: [0] }],
    });
    expect(await checkLastWebhook(ctx, NOW)).toEqual({
      check: 'last webhook',
      status: 'skip',
      reason: expect.stringMatching(/no webhook accepted in the last 14 days .*WebhookSilence alarm/),
    });
  });

  it('fails, saying why, when CloudWatch refuses', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .rejects(Object.assign(new Error('not allowed: cloudwatch:GetMetricData'), { name: 'AccessDenied' }));
    expect(await checkLastWebhook(ctx, NOW)).toMatchObject({
      status: 'FAIL',
      reason: expect.stringContaining('cloudwatch:GetMetricData'),
    });
  });
});

describe('last webhook of the local stack', () => {
  let dynamo: DynamoStandIn;
  let dir: string;
  beforeAll(async () => {
    dynamo = await startDynalite();
    dir = mkdtempSync(path.join(tmpdir(), 'last-webhook-'));
    for (const table of ['messages', 'empty'])
      await dynamo.client.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'messageId', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    for (const [id, minutes] of [
      ['rf_1', 90],
      ['rf_2', 5],
      ['rf_3', 30],
    ] as const)
      await dynamo.client.send(
        new PutItemCommand({
          TableName: 'messages',
          Item: { messageId: { S: id }, updatedAt: { S: minutesBefore(minutes).toISOString() } },
        }),
      );
  });
  afterAll(async () => {
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const localCtx = (tableName: string): StackContext => ({
    kind: 'local',
    source: 'stack.json',
    region: 'us-east-1',
    outputs: { TableName: tableName },
    dynamodb: {
      region: 'us-east-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    },
    sqs: {},
  });

  it("reports the table's newest updatedAt, and says what it is", async () => {
    expect(await checkLastWebhook(localCtx('messages'), NOW)).toEqual({
      check: 'last webhook',
      status: 'ok',
      reason: expect.stringMatching(
        /^2026-12-01T11:55:00\.000Z \(5 min ago\), the newest updatedAt in messages: when the consumer last stored a new event/,
      ),
    });
  });

  it('skips an empty table, and a table that is not there', async () => {
    expect(await checkLastWebhook(localCtx('empty'), NOW)).toMatchObject({
      status: 'skip',
      reason: expect.stringContaining('no message stored yet in empty'),
    });
    expect(await checkLastWebhook(localCtx('absent'), NOW)).toMatchObject({
      status: 'skip',
      reason: expect.stringContaining('no table absent'),
    });
  });

  it('is a line of volt-webhooks doctor', async () => {
    const stackFile = path.join(dir, 'stack.json');
    writeFileSync(
      stackFile,
      JSON.stringify({
        region: 'us-east-1',
        dynamodbEndpoint: dynamo.endpoint,
        sqsEndpoint: 'http://127.0.0.1:9',
        tableName: 'messages',
        queueUrls: {},
      }),
    );
    const out: string[] = [];
    await main(['doctor', '--local-file', stackFile, '--timeout', '2'], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
    });
    expect(out.join('\n')).toMatch(
      /^ok\s+last webhook\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(.* ago\), the newest updatedAt in messages/m,
    );
  });
});
