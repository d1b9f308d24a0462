import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startStandins, type Standins } from '../../../local/standins';
import { withVisibleCount } from '../../../local/sqs-rules';

// The SQS stand-in refuses what real SQS refuses: a message body or String attribute value with a
// character outside #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF, in both
// wire protocols, and takes everything inside the set unchanged.

const REFUSED: readonly [string, string][] = [
  ['U+0000', '\u0000'],
  ['U+0008', '\u0008'],
  ['U+000B', '\u000b'],
  ['U+000C', '\u000c'],
  ['U+000E', '\u000e'],
  ['U+001F', '\u001f'],
  ['U+FFFE', '\ufffe'],
  ['U+FFFF', '\uffff'],
  ['a lone high surrogate', '\ud800'],
  ['a lone low surrogate', '\udfff'],
];
const ACCEPTED: readonly [string, string][] = [
  ['tab', '\t'],
  ['LF', '\n'],
  ['CR', '\r'],
  ['U+007F', '\u007f'],
  ['U+D7FF', '\ud7ff'],
  ['U+E000', '\ue000'],
  ['U+FFFD', '\ufffd'],
  ['U+10000', '\u{10000}'],
  ['an emoji (a surrogate pair)', '😀'],
  ['U+10FFFF', '\u{10ffff}'],
];

describe('the SQS stand-in enforces SQS character rule', () => {
  let standins: Standins;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    standins = await startStandins({ region: 'us-east-1', accountId: '000000000000' });
    sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: standins.sqsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'rules' }))).QueueUrl ?? '';
  });

  afterAll(async () => {
    sqs?.destroy();
    await standins?.stop();
  });

  /** Every message on the queue, deleted as it is read, so that each test sees only its own. */
  async function receiveAll() {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of out.Messages ?? [])
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle ?? '' }));
    return out.Messages ?? [];
  }

  async function sendError(input: Omit<ConstructorParameters<typeof SendMessageCommand>[0], 'QueueUrl'>) {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...input }));
      return 'accepted';
    } catch (err: unknown) {
      return err instanceof Error ? err.name : String(err);
    }
  }

  it.each(REFUSED)('refuses %s in a body, as InvalidMessageContents', async (_name, char) => {
    expect(await sendError({ MessageBody: `{"text":"a${char}b"}` })).toBe('InvalidMessageContents');
  });

  it.each(REFUSED)('refuses %s in a String attribute value, as InvalidMessageContents', async (_name, char) => {
    expect(
      await sendError({
        MessageBody: 'fine',
        MessageAttributes: { webhookId: { DataType: 'String', StringValue: `rfw_${char}` } },
      }),
    ).toBe('InvalidMessageContents');
  });

  it.each(ACCEPTED)('takes %s in a body and an attribute and gives both back unchanged', async (_name, char) => {
    const body = `{"text":"a${char}b"}`;
    const value = `rfw_${char}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        MessageAttributes: { webhookId: { DataType: 'String', StringValue: value } },
      }),
    );
    const messages = await receiveAll();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Body).toBe(body);
    expect(messages[0]?.MessageAttributes?.['webhookId']?.StringValue).toBe(value);
  });

  it('fails only the offending entries of a batch, each with InvalidMessageContents', async () => {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'good', MessageBody: 'kept \ufffd' },
          { Id: 'badBody', MessageBody: 'refused \uffff' },
          {
            Id: 'badAttribute',
            MessageBody: 'fine',
            MessageAttributes: { eventType: { DataType: 'String', StringValue: '\u0001' } },
          },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['good']);
    expect(out.Failed?.map(({ Id, Code, SenderFault }) => ({ Id, Code, SenderFault }))).toEqual([
      { Id: 'badBody', Code: 'InvalidMessageContents', SenderFault: true },
      { Id: 'badAttribute', Code: 'InvalidMessageContents', SenderFault: true },
    ]);
    expect((await receiveAll()).map((m) => m.Body)).toEqual(['kept \ufffd']);
  });

  it('fails every entry of a batch that holds nothing else', async () => {
    const out = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'only', MessageBody: '\ufffe' }] }),
    );
    expect(out.Successful ?? []).toEqual([]);
    expect(out.Failed?.map((f) => [f.Id, f.Code])).toEqual([['only', 'InvalidMessageContents']]);
  });

  it('answers a Query-protocol SendMessage with an InvalidMessageContents error document', async () => {
    const form = (body: string) =>
      new URLSearchParams({ Action: 'SendMessage', QueueUrl: queueUrl, MessageBody: body, Version: '2012-11-05' });
    const refused = await fetch(standins.sqsEndpoint, { method: 'POST', body: form('x\uffffy') });
    const text = await refused.text();
    expect(refused.status).toBe(400);
    expect(text).toContain('<Code>InvalidMessageContents</Code>');
    expect(text).toContain('<Type>Sender</Type>');
    const accepted = await fetch(standins.sqsEndpoint, { method: 'POST', body: form('x\ufffdy') });
    expect(accepted.status).toBe(200);
    await accepted.text();
    expect((await receiveAll()).map((m) => m.Body)).toEqual(['x\ufffdy']);
  });

  it('refuses a batch whose entries total more than 1 MiB of UTF-8, counted as SQS counts it, and takes one just under', async () => {
    // 4-byte characters: 3 entries of 90,000 each are 1,080,000 bytes but 540,000 UTF-16 units,
    // which local-aws-sqs alone would let through.
    const wide = '\u{1F600}'.repeat(90_000);
    const attributes = { webhookId: { DataType: 'String', StringValue: 'rfw_1' } };
    const refused = sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['a', 'b', 'c'].map((Id) => ({ Id, MessageBody: wide, MessageAttributes: attributes })),
      }),
    );
    await expect(refused).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    expect(await receiveAll()).toEqual([]);
    // The limit counts attribute names, types and values too: a body of 1 MiB less them is taken.
    const overhead = 'webhookId'.length + 'String'.length + 'rfw_1'.length;
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'a', MessageBody: 'x'.repeat(524_288 - overhead), MessageAttributes: attributes },
          { Id: 'b', MessageBody: 'y'.repeat(524_288 - overhead), MessageAttributes: attributes },
        ],
      }),
    );
    expect(out.Successful?.map((e) => e.Id)).toEqual(['a', 'b']);
    await expect(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            { Id: 'a', MessageBody: 'x'.repeat(524_288 - overhead + 1), MessageAttributes: attributes },
            { Id: 'b', MessageBody: 'y'.repeat(524_288 - overhead), MessageAttributes: attributes },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'BatchRequestTooLong' });
    expect(await receiveAll()).toHaveLength(2);
  });
});

describe('withVisibleCount', () => {
  test('takes the in-flight messages off ApproximateNumberOfMessages, in either protocol', () => {
    const json = JSON.stringify({
      Attributes: { ApproximateNumberOfMessages: '5', ApproximateNumberOfMessagesNotVisible: '2' },
    });
    expect(JSON.parse(withVisibleCount(json, 'json', 2))).toEqual({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '2' },
    });
    const xml =
      '<GetQueueAttributesResult><Attribute><Name>ApproximateNumberOfMessages</Name><Value>5</Value></Attribute>' +
      '<Attribute><Name>ApproximateNumberOfMessagesNotVisible</Name><Value>2</Value></Attribute></GetQueueAttributesResult>';
    expect(withVisibleCount(xml, 'query', 2)).toBe(
      xml.replace(
        '<Name>ApproximateNumberOfMessages</Name><Value>5</Value>',
        '<Name>ApproximateNumberOfMessages</Name><Value>3</Value>',
      ),
    );
  });

  test('leaves an answer without the count, an error or nothing in flight as it is', () => {
    const other = JSON.stringify({ Attributes: { VisibilityTimeout: '30' } });
    expect(withVisibleCount(other, 'json', 2)).toBe(other);
    expect(withVisibleCount('{"__type":"QueueDoesNotExist"}', 'json', 2)).toBe('{"__type":"QueueDoesNotExist"}');
    expect(withVisibleCount('not json', 'json', 2)).toBe('not json');
    const json = JSON.stringify({ Attributes: { ApproximateNumberOfMessages: '5' } });
    expect(withVisibleCount(json, 'json', 0)).toBe(json);
  });
});
