import type { SendMessageBatchCommandInput, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import {
  forwardEntry,
  forwardToArchive,
  skipReason,
  type SendMessageBatch,
} from '../../../../lambda/consumer/archive-forward';
import { BATCH_ENTRY_ID, entryBytes, MAX_BATCH_BYTES } from '../../../../lambda/common/sqs-batch';
import { sqsMessageInput } from '../../../../lambda/ingest/targets/sqs';
import type { QueueMessageAttributes } from '../../../../lambda/common/queue-message';
import { deliveryRecord, sqsRecord } from '../../../helpers/sqs-record';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/archive';

function attributesOf(n: number): QueueMessageAttributes {
  return {
    webhookId: `rfw_${n}`,
    eventType: 'message.sent',
    messageId: `rf_${n}`,
    receivedAt: '2026-11-29T10:00:00.000Z',
    signature: 'c2lnbmF0dXJl',
  };
}

/** What Lambda hands the consumer for the ingest's message of `json`. */
function delivery(n: number, json = `{"id":"rfw_${n}","event_type":"message.sent"}`, id = `sqs-${n}`): SQSRecord {
  return deliveryRecord(id, json, attributesOf(n));
}

/** A `send` that records each call and answers with `answer` (default: every entry accepted). */
function recorder(answer?: (input: SendMessageBatchCommandInput) => Awaited<ReturnType<SendMessageBatch>>) {
  const calls: SendMessageBatchCommandInput[] = [];
  const send: SendMessageBatch = (input) => {
    calls.push(input);
    return Promise.resolve(
      answer
        ? answer(input)
        : { Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })) },
    );
  };
  return { calls, send };
}

describe('archive forward: what is sent', () => {
  it("sends each delivery as the ingest sent it: the same body and attributes as the ingest's own request", async () => {
    const plain = delivery(1);
    // A body SQS refuses raw travels base64 with bodyEncoding: it is forwarded still encoded, flag and all.
    const odd = delivery(2, '{"id":"rfw_2","text":"odd \uFFFE text"}');
    expect(odd.messageAttributes['bodyEncoding']?.stringValue).toBe('base64');
    const { calls, send } = recorder();
    const result = await forwardToArchive([plain, odd], { queueUrl: QUEUE, send });
    expect(result).toEqual({ forwarded: 2, skipped: [], failed: [], calls: 1 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.QueueUrl).toBe(QUEUE);
    const entries = calls[0]?.Entries ?? [];
    for (const [i, n, json] of [
      [0, 1, `{"id":"rfw_1","event_type":"message.sent"}`],
      [1, 2, '{"id":"rfw_2","text":"odd \uFFFE text"}'],
    ] as const) {
      const live = sqsMessageInput('archive', json, attributesOf(n));
      expect(entries[i]).toEqual({
        Id: String(i),
        MessageBody: live.MessageBody,
        MessageAttributes: live.MessageAttributes,
      });
    }
  });

  it('keeps every attribute with its type: String, Number, custom labels and Binary bytes', () => {
    const record = delivery(3);
    record.messageAttributes['extra'] = {
      dataType: 'Binary.gzip',
      binaryValue: Buffer.from([0, 1, 2, 255]).toString('base64'),
      stringListValues: [],
      binaryListValues: [],
    };
    record.messageAttributes['count'] = {
      dataType: 'Number',
      stringValue: '42',
      stringListValues: [],
      binaryListValues: [],
    };
    const entry = forwardEntry('0', record);
    expect(entry.MessageAttributes?.['extra']).toEqual({
      DataType: 'Binary.gzip',
      BinaryValue: Buffer.from([0, 1, 2, 255]),
    });
    expect(entry.MessageAttributes?.['count']).toEqual({ DataType: 'Number', StringValue: '42' });
    expect(entry.MessageAttributes?.['webhookId']).toEqual({ DataType: 'String', StringValue: 'rfw_3' });
  });

  it('forwards any body and attribute text unchanged, character for character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme', minLength: 1 }), (body, signature) => {
        const record = delivery(4);
        record.body = body;
        record.messageAttributes['signature'] = { ...record.messageAttributes['signature']!, stringValue: signature };
        const entry = forwardEntry('0', record);
        expect(entry.MessageBody).toBe(body);
        expect(Buffer.from(entry.MessageAttributes?.['signature']?.StringValue ?? '')).toEqual(Buffer.from(signature));
      }),
    );
  });

  it('uses the index in the call as entry id, valid and unique whatever the SQS message ids', async () => {
    const records = Array.from({ length: 25 }, (_, i) =>
      delivery(i, undefined, `id with spaces/and:colons ${'x'.repeat(90)} ${i}`),
    );
    const { calls, send } = recorder();
    await forwardToArchive(records, { queueUrl: QUEUE, send });
    for (const call of calls) {
      const ids = (call.Entries ?? []).map((e) => e.Id ?? '');
      expect(ids.every((id) => BATCH_ENTRY_ID.test(id))).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });
});

describe('archive forward: batching', () => {
  it('sends at most 10 entries a call, in the order received', async () => {
    const records = Array.from({ length: 25 }, (_, i) => delivery(i));
    const { calls, send } = recorder();
    const result = await forwardToArchive(records, { queueUrl: QUEUE, send });
    expect(calls.map((c) => c.Entries?.length)).toEqual([10, 10, 5]);
    expect(result).toMatchObject({ forwarded: 25, calls: 3 });
    const bodies = calls.flatMap((c) => (c.Entries ?? []).map((e) => e.MessageBody));
    expect(bodies).toEqual(records.map((r) => r.body));
  });

  it('splits a call before its payload passes the batch limit, and sends an oversized delivery alone', async () => {
    const big = (n: number, kb: number) => delivery(n, `{"id":"rfw_${n}","pad":"${'x'.repeat(kb * 1024)}"}`);
    const records = [big(1, 100), big(2, 100), big(3, 100), delivery(4), big(5, 300), delivery(6)];
    const { calls, send } = recorder();
    const result = await forwardToArchive(records, { queueUrl: QUEUE, send });
    expect(calls.map((c) => (c.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '{}').id))).toEqual([
      ['rfw_1', 'rfw_2'],
      ['rfw_3', 'rfw_4'],
      ['rfw_5'],
      ['rfw_6'],
    ]);
    expect(result.forwarded).toBe(6);
    for (const call of calls.filter((c) => (c.Entries ?? []).length > 1))
      expect(
        (call.Entries ?? []).reduce((n, e: SendMessageBatchRequestEntry) => n + entryBytes(e), 0),
      ).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('counts multi-byte text as its UTF-8 bytes', async () => {
    // 40 K characters of 4 bytes each: 160 KB of UTF-8 but 80 K UTF-16 units, so two cannot share
    // a call although their string lengths would.
    const wide = (n: number) => delivery(n, `{"id":"rfw_${n}","t":"${'\u{1F600}'.repeat(40 * 1024)}"}`);
    const { calls, send } = recorder();
    await forwardToArchive([wide(1), wide(2)], { queueUrl: QUEUE, send });
    expect(calls.map((c) => c.Entries?.length)).toEqual([1, 1]);
  });
});

describe('archive forward: what is not sent', () => {
  it('skips a replayed record, whose delivery the archive holds already', async () => {
    const replayed = delivery(1);
    replayed.messageAttributes['replayed'] = {
      dataType: 'String',
      stringValue: '3f1c0a9b8e7d6c5b4a392817',
      stringListValues: [],
      binaryListValues: [],
    };
    const live = delivery(2);
    const { calls, send } = recorder();
    const result = await forwardToArchive([replayed, live], { queueUrl: QUEUE, send });
    expect(skipReason(replayed)).toBe('replayed');
    expect(result).toEqual({
      forwarded: 1,
      skipped: [{ sqsMessageId: 'sqs-1', reason: 'replayed' }],
      failed: [],
      calls: 1,
    });
    expect(calls[0]?.Entries?.map((e) => e.MessageAttributes?.['webhookId']?.StringValue)).toEqual(['rfw_2']);
  });

  it('makes no call when every record is replayed', async () => {
    const record = delivery(1);
    record.messageAttributes['replayed'] = {
      dataType: 'String',
      stringValue: 'x',
      stringListValues: [],
      binaryListValues: [],
    };
    const { calls, send } = recorder();
    expect(await forwardToArchive([record], { queueUrl: QUEUE, send })).toMatchObject({ forwarded: 0, calls: 0 });
    expect(calls).toEqual([]);
  });

  it("skips a record without the ingest's attributes (not a delivery the ingest sent), but forwards an unparseable body that has them", async () => {
    const bare = sqsRecord('bare', '{"id":"rfw_x"}');
    const noSignature = delivery(2);
    delete noSignature.messageAttributes['signature'];
    const unparseable = delivery(3, 'this is not JSON');
    const { calls, send } = recorder();
    const result = await forwardToArchive([bare, noSignature, unparseable], { queueUrl: QUEUE, send });
    expect(result.skipped).toEqual([
      { sqsMessageId: 'bare', reason: 'not-a-delivery' },
      { sqsMessageId: 'sqs-2', reason: 'not-a-delivery' },
    ]);
    expect(calls[0]?.Entries?.map((e) => e.MessageBody)).toEqual(['this is not JSON']);
  });
});

describe('archive forward: failures', () => {
  it('fails the records of entries SQS refused or left out, and only those', async () => {
    const records = Array.from({ length: 4 }, (_, i) => delivery(i));
    const { send } = recorder(() => ({
      Successful: [
        { Id: '0', MessageId: 'm', MD5OfMessageBody: '' },
        { Id: '3', MessageId: 'm', MD5OfMessageBody: '' },
      ],
      Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false, Message: 'try again' }],
      // Entry 2 is in neither list.
    }));
    const result = await forwardToArchive(records, { queueUrl: QUEUE, send });
    expect(result.forwarded).toBe(2);
    expect(result.failed).toEqual([
      { sqsMessageId: 'sqs-1', webhookId: 'rfw_1', reason: 'InternalError: try again' },
      { sqsMessageId: 'sqs-2', webhookId: 'rfw_2', reason: 'not in the answer of SendMessageBatch' },
    ]);
  });

  it('fails every record of a call that threw, and only that call', async () => {
    const records = Array.from({ length: 15 }, (_, i) => delivery(i));
    let call = 0;
    const send: SendMessageBatch = (input) => {
      call += 1;
      if (call === 2) return Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
      return Promise.resolve({
        Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      });
    };
    const result = await forwardToArchive(records, { queueUrl: QUEUE, send });
    expect(result.forwarded).toBe(10);
    expect(result.failed.map((f) => f.sqsMessageId)).toEqual(records.slice(10).map((r) => r.messageId));
    expect(new Set(result.failed.map((f) => f.reason))).toEqual(new Set(['ThrottlingException: slow down']));
  });
});
