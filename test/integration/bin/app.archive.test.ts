import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import {
  archiveHourPrefixes,
  archiveRecordBytes,
  decodeArchiveObject,
  DEFAULT_ARCHIVE_PREFIX,
  type ArchiveRecord,
} from '../../../lambda/common/archive-record';
import { DEFAULT_SCHEME, SIGNATURE_HEADER, signBody, verifySignature } from '../../../lambda/common/signature';
import type { BatchOutcome } from '../../../local/event-source';
import { archiveBucket } from '../../../local/model';
import { localStackFileOf } from '../../../local/stack-file';
import { testKeyPair } from '../../helpers/keys';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { waiter } from '../../helpers/wait';

// The delivery archive end to end on the product's own template: signed webhooks in, the ingest,
// the state queue, the consumer's forward to the archive queue, the archiver on its batches, the
// S3 stand-in. Each test uses webhooks of its own and reads back only those.

const key = testKeyPair('archive');
const waitFor = waiter({ timeoutMs: 30_000 });
const newId = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/** A signed webhook body; `text` may hold what SQS refuses (then its queue body is base64). */
function webhook(eventType: string, text: string): { webhookId: string; raw: string } {
  const webhookId = newId('rfw');
  const messageId = newId('msg');
  const raw = JSON.stringify({
    type: 'messaging',
    id: webhookId,
    payload: {
      event_type: eventType,
      id: eventType === 'message.received' ? null : messageId,
      message_app_id: messageId,
      status: eventType === 'message.received' ? 'received' : 'sent',
      occurred_at: new Date().toISOString(),
      direction: eventType === 'message.received' ? 'inbound' : 'outbound',
      to_number: '+15555550123',
      from_number: '+15555550100',
      text,
    },
  });
  return { webhookId, raw };
}

describe('the delivery archive on the local stack', () => {
  let product: ProductStack;
  let s3: S3Client;
  let bucket: string;
  const batches: BatchOutcome[] = [];
  const stateBatches: BatchOutcome[] = [];
  const started = new Date();

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-archive',
      context: { voltPublicKeys: JSON.stringify([key.formats.spkiPem]), archiveBatchWindowSeconds: '1' },
      stack: {
        onEvent: (event) => {
          if (event.kind === 'batch' && event.queueName === 'archive') batches.push(event);
          if (event.kind === 'batch' && event.queueName === 'state') stateBatches.push(event);
        },
      },
    });
    const found = archiveBucket(product.stack);
    if (!found) throw new Error('the template has no archive bucket');
    bucket = found.name;
    s3 = new S3Client({
      region: product.stack.region,
      endpoint: product.stack.endpoints.s3,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // The template's 420 s would make a retried batch a seven-minute wait; the queue's own
    // setting spaces the retries, so it is shortened there (above the 1 s batching window).
    await product.aws.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: product.aws.queueUrl('archive'),
        Attributes: { VisibilityTimeout: '3' },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await product?.stop();
  });

  afterEach(() => {
    delete product.stack.faults.s3;
    delete product.stack.faults.sqs;
  });

  async function post(raw: string): Promise<void> {
    const res = await fetch(product.stack.webhookUrl ?? 'http://127.0.0.1:9/none', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, raw) },
      body: raw,
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  }

  /** Every record in the archive, read back through the S3 stand-in as `replay` reads it. */
  async function archived(): Promise<ArchiveRecord[]> {
    const records: ArchiveRecord[] = [];
    for (const prefix of archiveHourPrefixes(DEFAULT_ARCHIVE_PREFIX, started, new Date(Date.now() + 3_600_000))) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      for (const object of listed.Contents ?? []) {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
        records.push(...decodeArchiveObject(await got.Body!.transformToByteArray(), object.Key));
      }
    }
    return records;
  }

  async function waitForArchived(ids: readonly string[]): Promise<ArchiveRecord[]> {
    return waitFor(`${ids.length} deliveries in the archive`, async () => {
      const records = (await archived()).filter((r) => ids.includes(r.webhookId));
      return new Set(records.map((r) => r.webhookId)).size === ids.length ? records : undefined;
    });
  }

  test('the stack file names the archive bucket and prefix, and functions reach S3 locally', () => {
    const file = localStackFileOf(product.stack, { graphqlUrl: 'http://127.0.0.1:4010/graphql', token: 't' }, 'k.pem');
    expect(file).toMatchObject({ archiveBucket: bucket, archivePrefix: 'deliveries/' });
    expect(file.s3Endpoint).toBe(product.stack.endpoints.s3);
    const archiver = [...product.stack.functions.values()].find((f) => f.definition.displayName === 'archiver');
    expect(archiver?.definition.environment['AWS_ENDPOINT_URL_S3']).toBe(product.stack.endpoints.s3);
  });

  test('N signed deliveries: exactly N distinct webhook ids, each byte for byte with a signature that verifies', async () => {
    const hooks = [
      ...Array.from({ length: 12 }, (_, i) => webhook('message.sent', `sent ${i}`)),
      ...Array.from({ length: 12 }, (_, i) => webhook('message.received', `received ${i} 😀 é`)),
      // A raw U+FFFE: SQS refuses it, so its queue body is base64; the archive holds the text.
      webhook('message.received', 'not for SQS: \uFFFE'),
    ];
    await Promise.all(hooks.map((h) => post(h.raw)));
    const ids = hooks.map((h) => h.webhookId);
    const records = await waitForArchived(ids);
    expect(new Set(records.map((r) => r.webhookId))).toEqual(new Set(ids));
    for (const hook of hooks) {
      const record = records.find((r) => r.webhookId === hook.webhookId)!;
      expect(archiveRecordBytes(record)).toEqual(Buffer.from(hook.raw, 'utf8'));
      expect(() =>
        verifySignature(archiveRecordBytes(record), record.signature, [key.publicKey], DEFAULT_SCHEME),
      ).not.toThrow();
      expect(Date.parse(record.receivedAt)).toBeGreaterThanOrEqual(started.getTime() - 1000);
    }
    // Nothing unauthenticated is archived: a request with a wrong signature is refused and absent.
    const forged = webhook('message.sent', 'forged');
    const res = await fetch(product.stack.webhookUrl ?? '', {
      method: 'POST',
      headers: { [SIGNATURE_HEADER]: signBody(testKeyPair('other').privateKey, forged.raw) },
      body: forged.raw,
    });
    expect(res.status).toBe(401);
    const later = webhook('message.sent', 'after the forged one');
    await post(later.raw);
    await waitForArchived([later.webhookId]);
    expect((await archived()).some((r) => r.webhookId === forged.webhookId)).toBe(false);
  }, 90_000);

  test('an S3 write failure is retried, and the deliveries are archived once S3 is back, none lost', async () => {
    const failing = { puts: 0 };
    product.stack.faults.s3 = (call) => {
      if (call.method !== 'PUT') return undefined;
      failing.puts += 1;
      return { kind: 'error', status: 500, code: 'InternalError', message: 'We encountered an internal error.' };
    };
    const before = batches.length;
    const hooks = Array.from({ length: 6 }, (_, i) => webhook('message.sent', `during an outage ${i}`));
    await Promise.all(hooks.map((h) => post(h.raw)));
    // The ingest answered 200 regardless: the archive write is not on its path.
    await waitFor('a failed archive batch', () =>
      batches.slice(before).some((b) => b.failedMessageIds.length > 0) ? true : undefined,
    );
    expect(failing.puts).toBeGreaterThan(0);
    delete product.stack.faults.s3;
    const records = await waitForArchived(hooks.map((h) => h.webhookId));
    expect(new Set(records.map((r) => r.webhookId)).size).toBe(hooks.length);
    expect(batches.slice(before).flatMap((b) => b.exhaustedMessageIds)).toEqual([]);
    expect(await product.aws.queueDepth(product.aws.queueUrl('archiveDlq'))).toBe(0);
  }, 90_000);

  test('the ingest sends to the state queue only; the consumer forwards to the archive queue in batches', async () => {
    const archiveQueue = product.aws.queueUrl('archive');
    const calls: { operation: string; queueUrl: string; entries: number }[] = [];
    product.stack.faults.sqs = (call) => {
      if (call.queueUrl === archiveQueue)
        calls.push({ operation: call.operation, queueUrl: call.queueUrl, entries: call.messages.length });
      return undefined;
    };
    const hooks = Array.from({ length: 8 }, (_, i) => webhook('message.sent', `forwarded ${i}`));
    await Promise.all(hooks.map((h) => post(h.raw)));
    await waitForArchived(hooks.map((h) => h.webhookId));
    // Sends to the archive queue are the consumer's batches, never a single SendMessage of the ingest.
    expect(calls.filter((c) => c.operation === 'SendMessage')).toEqual([]);
    const forwards = calls.filter((c) => c.operation === 'SendMessageBatch');
    expect(forwards.length).toBeGreaterThan(0);
    expect(forwards.reduce((n, c) => n + c.entries, 0)).toBeGreaterThanOrEqual(hooks.length);
    expect(forwards.every((c) => c.entries >= 1 && c.entries <= 10)).toBe(true);
  }, 90_000);

  test('a failed forward fails its records, SQS delivers them again, and they are archived once it succeeds, the state item right', async () => {
    const stateQueue = product.aws.queueUrl('state');
    const archiveQueue = product.aws.queueUrl('archive');
    // The template's 180 s would make the redelivery a three-minute wait; the queue's own setting
    // spaces the retries, so it is shortened there (above the 1 s batching window).
    await product.aws.sqs.send(
      new SetQueueAttributesCommand({ QueueUrl: stateQueue, Attributes: { VisibilityTimeout: '3' } }),
    );
    try {
      const refused = { calls: 0 };
      product.stack.faults.sqs = (call) => {
        if (call.operation !== 'SendMessageBatch' || call.queueUrl !== archiveQueue) return undefined;
        refused.calls += 1;
        return { kind: 'error', status: 500, code: 'InternalError', message: 'injected' };
      };
      const before = stateBatches.length;
      const hook = webhook('message.sent', 'forward fails first');
      await post(hook.raw);
      // The consumer wrote the item, and reported the record failed because its forward failed.
      await waitFor('a state batch failing the record', () =>
        stateBatches.slice(before).some((b) => b.failedMessageIds.length > 0) ? true : undefined,
      );
      expect(refused.calls).toBeGreaterThan(0);
      const messageId = (JSON.parse(hook.raw) as { payload: { message_app_id: string } }).payload.message_app_id;
      const written = await product.aws.getItem(messageId);
      expect(written?.['status']?.S).toBe('sent');
      expect((await archived()).some((r) => r.webhookId === hook.webhookId)).toBe(false);

      delete product.stack.faults.sqs;
      const [record] = await waitForArchived([hook.webhookId]);
      expect(archiveRecordBytes(record!)).toEqual(Buffer.from(hook.raw, 'utf8'));
      // Redelivered and applied again: the item is as it was (the state rules dedupe on webhookId).
      const after = await product.aws.getItem(messageId);
      expect(after?.['status']?.S).toBe('sent');
      expect(after?.['history']?.L).toHaveLength(written?.['history']?.L?.length ?? -1);
      await waitFor('the state queue to drain', async () =>
        (await product.aws.queueDepth(stateQueue)) === 0 ? true : undefined,
      );
      expect(stateBatches.slice(before).flatMap((b) => b.exhaustedMessageIds)).toEqual([]);
      expect(await product.aws.queueDepth(product.aws.queueUrl('stateDlq'))).toBe(0);
    } finally {
      delete product.stack.faults.sqs;
      await product.aws.sqs.send(
        new SetQueueAttributesCommand({ QueueUrl: stateQueue, Attributes: { VisibilityTimeout: '180' } }),
      );
    }
  }, 90_000);
});
