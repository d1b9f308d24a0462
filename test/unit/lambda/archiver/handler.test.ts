import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeArchiveObject } from '../../../../lambda/common/archive-record';
import { sqsRecord } from '../../../helpers/sqs-record';

type Handler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const ENV = {
  ARCHIVE_BUCKET: 'the-archive',
  ARCHIVE_PREFIX: 'volt/',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
};
const saved = Object.fromEntries(Object.keys(ENV).map((k) => [k, process.env[k]]));
const s3 = mockClient(S3Client);
let handler: Handler;

beforeAll(() => {
  Object.assign(process.env, ENV);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the import must run after the environment is set
  ({ handler } = require('../../../../lambda/archiver/handler') as { handler: Handler });
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  s3.restore();
});

beforeEach(() => s3.reset());

function message(id: string, receivedAt: string): SQSRecord {
  const attrs = { webhookId: `rfw_${id}`, messageId: 'm', eventType: 'message.sent', receivedAt, signature: 's' };
  return {
    ...sqsRecord(`sqs-${id}`, `{"id":"rfw_${id}"}`),
    messageAttributes: Object.fromEntries(
      Object.entries(attrs).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }]),
    ) as SQSRecord['messageAttributes'],
  };
}

test('writes each hour to the configured bucket and prefix with a Content-MD5, and reports no failure', async () => {
  s3.on(PutObjectCommand).resolves({});
  const result = await handler({ Records: [message('a', '2026-11-29T21:01:00.000Z')] });
  expect(result).toEqual({ batchItemFailures: [] });
  const [call] = s3.commandCalls(PutObjectCommand);
  const input = call?.args[0].input;
  expect(input?.Bucket).toBe('the-archive');
  expect(input?.Key).toMatch(/^volt\/2026\/11\/29\/21\//);
  expect(input?.ContentMD5).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  expect(decodeArchiveObject(input?.Body as Buffer).map((r) => r.webhookId)).toEqual(['rfw_a']);
});

test('a PutObject that fails reports the messages of that object as batch item failures', async () => {
  s3.on(PutObjectCommand).callsFake((input: { Key?: string }) => {
    if (input.Key?.includes('/22/'))
      throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' });
    return {};
  });
  const result = await handler({
    Records: [
      message('a', '2026-11-29T21:01:00.000Z'),
      message('b', '2026-11-29T22:01:00.000Z'),
      message('c', '2026-11-29T22:02:00.000Z'),
    ],
  });
  expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['sqs-b', 'sqs-c']);
});
