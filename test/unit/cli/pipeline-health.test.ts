import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { SQSClient, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { quarantineRejections } from '../../../cli/pipeline-health';
import type { StackContext } from '../../../cli/stack-context';
import { quarantineRecord } from '../../../lambda/ingest/quarantine';

const cloudwatch = mockClient(CloudWatchClient);
const sqs = mockClient(SQSClient);
afterAll(() => {
  cloudwatch.restore();
  sqs.restore();
});
beforeEach(() => {
  cloudwatch.reset();
  sqs.reset();
});

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

test('deployed: the Rejected metric summed per reason over the last day, most first, from read calls only', async () => {
  const metric = (reason: string) => ({
    Namespace: 'VoltWebhooks/Ops',
    MetricName: 'Rejected',
    Dimensions: [
      { Name: 'service', Value: 'ingest' },
      { Name: 'reason', Value: reason },
    ],
  });
  cloudwatch
    .on(ListMetricsCommand)
    .resolvesOnce({ Metrics: [metric('signature_mismatch')], NextToken: 'p2' })
    .resolvesOnce({ Metrics: [metric('invalid_event'), metric('stale_timestamp')] });
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      { Id: 'r0', Values: [3, 4] },
      { Id: 'r1', Values: [2] },
      { Id: 'r2', Values: [] },
    ],
  });
  const ctx: StackContext = {
    kind: 'deployed',
    source: 'Ops',
    region: 'eu-west-1',
    outputs: {},
    dynamodb: {},
    sqs: {},
  };
  process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
  const now = new Date('2026-05-01T12:00:00Z');
  const found = await quarantineRejections(ctx, now);
  expect(found).toEqual({
    source: 'metrics',
    since: '2026-04-30T12:00:00.000Z',
    byReason: [
      { reason: 'signature_mismatch', count: 7 },
      { reason: 'invalid_event', count: 2 },
    ],
  });
  expect(cloudwatch.commandCalls(ListMetricsCommand)[0]?.args[0].input).toMatchObject({
    Namespace: 'VoltWebhooks/Ops',
    MetricName: 'Rejected',
  });
  expect(sqs.calls()).toHaveLength(0);
});

test('local: the quarantine records counted by reason, looked at with visibility 0', async () => {
  const body = (reason: string, at: string) =>
    JSON.stringify(quarantineRecord({ reason, statusCode: 401, body: Buffer.from('{}'), receivedAt: new Date(at) }));
  sqs
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: [
        { MessageId: '1', Body: body('signature_mismatch', '2026-05-01T10:00:00Z') },
        { MessageId: '2', Body: body('signature_mismatch', '2026-05-01T11:00:00Z') },
        { MessageId: '3', Body: 'not json' },
      ],
    })
    .resolves({ Messages: [{ MessageId: '1', Body: body('signature_mismatch', '2026-05-01T10:00:00Z') }] });
  const ctx: StackContext = {
    kind: 'local',
    source: '/x/.local/stack.json',
    region: 'us-east-1',
    outputs: {},
    local: { queueUrls: { quarantine: 'http://127.0.0.1:1/q/quarantine' } },
    dynamodb: {},
    sqs: { region: 'us-east-1', credentials },
  };
  expect(await quarantineRejections(ctx)).toEqual({
    source: 'queue',
    byReason: [
      { reason: 'signature_mismatch', count: 2, latest: '2026-05-01T11:00:00.000Z' },
      { reason: 'unreadable record', count: 1 },
    ],
  });
  for (const call of sqs.commandCalls(ReceiveMessageCommand)) expect(call.args[0].input.VisibilityTimeout).toBe(0);
});
