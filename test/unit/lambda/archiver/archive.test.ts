import { createHash } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { archiveBatch, archiveRecordOf, type PutObject } from '../../../../lambda/archiver/archive';
import { decodeArchiveObject } from '../../../../lambda/common/archive-record';
import { queueBody } from '../../../../lambda/common/queue-message';
import { sqsRecord } from '../../../helpers/sqs-record';

/** A message as the ingest sends it to the archive queue: the body in the queue encoding, five attributes. */
function delivery(id: string, rawBody: string, receivedAt = '2026-11-29T21:15:00.123Z'): SQSRecord {
  const { body, encoding } = queueBody(rawBody);
  const attributes: Record<string, string> = {
    webhookId: `rfw_${id}`,
    messageId: `msg_${id}`,
    eventType: 'message.sent',
    receivedAt,
    signature: `sig-${id}`,
    ...(encoding ? { bodyEncoding: encoding } : {}),
  };
  return {
    ...sqsRecord(`sqs-${id}`, body),
    messageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { stringValue: v, dataType: 'String' }]),
    ) as SQSRecord['messageAttributes'],
  };
}

function recorder(fail?: (key: string) => boolean) {
  const objects = new Map<string, Buffer>();
  const putObject: PutObject = async ({ key, body, contentMd5 }) => {
    expect(contentMd5).toBe(createHash('md5').update(body).digest('base64'));
    if (fail?.(key)) throw Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
    objects.set(key, body);
  };
  return { objects, putObject };
}

describe('archiveRecordOf', () => {
  test('a base64-flagged queue body is archived as the raw text whose UTF-8 bytes were signed', () => {
    const raw = '{"id":"rfw_x","text":"a\uFFFEb 😀"}';
    const message = delivery('x', raw);
    expect(message.messageAttributes['bodyEncoding']?.stringValue).toBe('base64');
    const record = archiveRecordOf(message);
    expect(record.body).toBe(raw);
    expect(Buffer.from(record.body, 'utf8')).toEqual(Buffer.from(raw, 'utf8'));
  });

  test('a message without an attribute the ingest always sets is refused, named', () => {
    const message = delivery('x', '{}');
    delete message.messageAttributes['signature'];
    expect(() => archiveRecordOf(message)).toThrow('attribute signature is missing');
  });
});

describe('archiveBatch', () => {
  test('writes one object per receive hour holding exactly its deliveries, keyed under the prefix', async () => {
    const { objects, putObject } = recorder();
    const messages = [
      delivery('a', '{"id":"a"}', '2026-11-29T21:00:00.000Z'),
      delivery('b', '{"id":"b"}', '2026-11-29T21:59:59.999Z'),
      delivery('c', '{"id":"c"}', '2026-11-29T22:00:00.000Z'),
    ];
    const result = await archiveBatch(messages, { prefix: 'deliveries/', putObject });
    expect(result.failed).toEqual([]);
    expect([...objects.keys()].sort()).toEqual([
      expect.stringMatching(/^deliveries\/2026\/11\/29\/21\/[0-9a-f]{32}\.ndjson\.gz$/),
      expect.stringMatching(/^deliveries\/2026\/11\/29\/22\/[0-9a-f]{32}\.ndjson\.gz$/),
    ]);
    const ids = [...objects.values()].flatMap((o) => decodeArchiveObject(o).map((r) => r.webhookId));
    expect(ids.sort()).toEqual(['rfw_a', 'rfw_b', 'rfw_c']);
    expect(result.written.map((w) => w.records).sort()).toEqual([1, 2]);
  });

  test('the same batch delivered again writes the same keys (a retry overwrites, not duplicates)', async () => {
    const first = recorder();
    const second = recorder();
    const messages = [delivery('a', '{"id":"a"}'), delivery('b', '{"id":"b"}')];
    await archiveBatch(messages, { prefix: 'p/', putObject: first.putObject });
    await archiveBatch([...messages].reverse(), { prefix: 'p/', putObject: second.putObject });
    expect([...second.objects.keys()]).toEqual([...first.objects.keys()]);
  });

  test('a failed write fails the messages of its object only; an unreadable message fails alone', async () => {
    const { objects, putObject } = recorder((key) => key.includes('/22/'));
    const broken = delivery('x', '{}', '2026-11-29T21:30:00.000Z');
    broken.messageAttributes['bodyEncoding'] = { stringValue: 'rot13', dataType: 'String' };
    const result = await archiveBatch(
      [
        delivery('a', '{"id":"a"}', '2026-11-29T21:10:00.000Z'),
        broken,
        delivery('c', '{"id":"c"}', '2026-11-29T22:10:00.000Z'),
        delivery('d', '{"id":"d"}', '2026-11-29T22:20:00.000Z'),
      ],
      { prefix: 'deliveries/', putObject },
    );
    expect(result.failed.map((f) => f.sqsMessageId).sort()).toEqual(['sqs-c', 'sqs-d', 'sqs-x']);
    expect(result.failed.find((f) => f.sqsMessageId === 'sqs-x')?.reason).toContain('rot13');
    expect(result.failed.find((f) => f.sqsMessageId === 'sqs-c')?.reason).toContain('InternalError');
    expect([...objects.values()].flatMap((o) => decodeArchiveObject(o).map((r) => r.webhookId))).toEqual(['rfw_a']);
  });
});
