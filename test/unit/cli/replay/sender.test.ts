import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  batchEntry,
  entryBytes,
  MAX_BATCH_BYTES,
  MAX_SEND_ATTEMPTS,
  sendBatch,
  toBatches,
  type Replayable,
} from '../../../../cli/replay/sender';
import { sqsMessageInput } from '../../../../lambda/ingest/targets/sqs';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

function item(n: number, body = `{"id":"rfw_${n}"}`): Replayable {
  return {
    body,
    attributes: {
      webhookId: `rfw_${n}`,
      eventType: 'message.sent',
      messageId: `rf_${n}`,
      receivedAt: '2026-11-29T10:00:00.000Z',
      signature: 'c2ln',
    },
  };
}

const client = () => new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

describe('replay sender', () => {
  it("builds the ingest's own message: body, the five attributes, base64 and bodyEncoding when SQS needs it", () => {
    const plain = item(1);
    const live = sqsMessageInput('q', plain.body, plain.attributes);
    expect(batchEntry('7', plain)).toEqual({
      Id: '7',
      MessageBody: live.MessageBody,
      MessageAttributes: live.MessageAttributes,
    });
    const odd = item(2, '{"id":"rfw_2","text":"\uFFFE"}');
    const entry = batchEntry('0', odd);
    expect(entry.MessageAttributes?.['bodyEncoding']?.StringValue).toBe('base64');
    expect(Buffer.from(entry.MessageBody ?? '', 'base64').toString('utf8')).toBe(odd.body);
    expect(Object.keys(entry.MessageAttributes ?? {}).sort()).toEqual(
      ['bodyEncoding', 'eventType', 'messageId', 'receivedAt', 'signature', 'webhookId'].sort(),
    );
  });

  it('batches by 10 entries and by the batch size limit', () => {
    expect(toBatches(Array.from({ length: 23 }, (_, i) => item(i))).map((b) => b.length)).toEqual([10, 10, 3]);
    const big = (n: number) => item(n, `{"id":"rfw_${n}","pad":"${'x'.repeat(100 * 1024)}"}`);
    const batches = toBatches([big(1), big(2), big(3), item(4)]);
    expect(batches.map((b) => b.length)).toEqual([2, 2]);
    for (const batch of batches)
      expect(batch.reduce((n, i) => n + entryBytes(batchEntry('0', i)), 0)).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  it('sends again only the entries SQS failed on its side, and reports refused ones', async () => {
    const calls: SendMessageBatchRequestEntry[][] = [];
    let attempt = 0;
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      calls.push(input.Entries);
      attempt += 1;
      const ids = input.Entries.map((e) => e.Id ?? '');
      if (attempt === 1)
        return {
          Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: '' }],
          Failed: [
            { Id: '1', SenderFault: false, Code: 'InternalError' },
            { Id: '2', SenderFault: true, Code: 'InvalidMessageContents', Message: 'bad' },
          ],
        };
      return { Successful: ids.map((Id) => ({ Id, MessageId: `m${Id}`, MD5OfMessageBody: '' })), Failed: [] };
    });
    const result = await sendBatch(client(), 'https://q', [item(0), item(1), item(2)], { retryDelayMs: 1 });
    expect(result.sent.map((s) => s.attributes.webhookId)).toEqual(['rfw_0', 'rfw_1']);
    expect(result.failed).toEqual([{ webhookId: 'rfw_2', reason: 'InvalidMessageContents: bad' }]);
    expect(calls.map((c) => c.map((e) => e.Id))).toEqual([['0', '1', '2'], ['1']]);
  });

  it(`gives up on an entry after ${MAX_SEND_ATTEMPTS} attempts`, async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError' }] });
    const result = await sendBatch(client(), 'https://q', [item(0)], { retryDelayMs: 1 });
    expect(result).toEqual({ sent: [], failed: [{ webhookId: 'rfw_0', reason: 'InternalError' }] });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(MAX_SEND_ATTEMPTS);
  });
});
