import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  UpdateItemCommand,
  type AttributeValue,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createRecordProcessor } from '../../../../lambda/consumer/consumer';
import { HISTORY_LIMIT, STATE_HISTORY_LIMIT } from '../../../../lambda/consumer/state-rules';
import { eventBody } from '../../../helpers/message-events';

// What the consumer sends when its state write is refused, with DynamoDB mocked at the client:
// the refused write's returned item (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`) decides
// whether the history-only fallback is sent. Against the stand-in: consumer.test.ts.

const ddb = mockClient(DynamoDBClient);
const client = new DynamoDBClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const processRecord = createRecordProcessor(
  { tableName: 'messages' },
  (p) => client.send(new UpdateItemCommand(p)),
  () => new Date('2026-03-01T00:00:00.000Z'),
);

afterAll(() => {
  ddb.restore();
  client.destroy();
});
beforeEach(() => ddb.reset());

const MESSAGE_ID = 'rf_apply_1';
const body = (webhookId: string, eventType = 'message.sent') => ({
  body: eventBody({
    webhookId,
    messageId: MESSAGE_ID,
    eventType,
    status: 'sent',
    occurredAt: '2026-02-01T10:00:01.000Z',
  }),
});

/** The item DynamoDB would return: a `delivered` state, with these ids applied and in history. */
function storedItem(ids: readonly string[]): Record<string, AttributeValue> {
  return {
    messageId: { S: MESSAGE_ID },
    status: { S: 'delivered' },
    stateKey: { S: '3#2026-02-01T10:00:02.000Z#fin' },
    history: { L: ids.map((id) => ({ M: { webhookId: { S: id }, eventType: { S: 'message.finalized' } } })) },
    appliedIds: { SS: [...ids] },
  };
}

const refused = (Item?: Record<string, AttributeValue>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(Item ? { Item } : {}),
  });

/** Refuses the state write (the one that sets `stateKey`) with `first`; answers the fallback with `fallback`. */
function answer(first: ConditionalCheckFailedException, fallback: 'accept' | 'refuse' = 'accept'): void {
  ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
    if (input.UpdateExpression?.includes('#stateKey')) throw first;
    if (fallback === 'refuse') throw refused();
    return {};
  });
}

const sent = () => ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input);

describe('applying a refused state write', () => {
  it('asks DynamoDB for the item on the state write (and only there)', async () => {
    answer(refused(storedItem(['fin'])));
    await processRecord(body('late'));
    expect(sent().map((i) => i.ReturnValuesOnConditionCheckFailure)).toEqual(['ALL_OLD', undefined]);
  });

  it('costs a duplicate 1 request: the returned item already holds its id', async () => {
    answer(refused(storedItem(['fin', 'dup'])));
    const outcome = await processRecord(body('dup'));
    expect(outcome).toMatchObject({ effect: 'none', writes: 1 });
    expect(sent()).toHaveLength(1);
  });

  it('costs a late event 2 requests: the returned item lacks its id, so the fallback records it', async () => {
    answer(refused(storedItem(['fin'])));
    const outcome = await processRecord(body('late'));
    expect(outcome).toMatchObject({ effect: 'history', writes: 2 });
    expect(sent()).toHaveLength(2);
    expect(sent()[1]!.UpdateExpression).not.toMatch(/#stateKey/);
  });

  it('sends the fallback as before when the error carries no item (an older server, or the parameter ignored)', async () => {
    answer(refused(), 'refuse');
    expect(await processRecord(body('dup'))).toMatchObject({ effect: 'none', writes: 2 });
    ddb.reset();
    answer(refused(), 'accept');
    expect(await processRecord(body('late'))).toMatchObject({ effect: 'history', writes: 2 });
  });

  it('sends the fallback when the returned item does not contain the id, and lets DynamoDB decide', async () => {
    // The fallback is refused here anyway (a concurrent consumer got there first): still 2, effect none.
    answer(refused(storedItem(['fin', 'other'])), 'refuse');
    expect(await processRecord(body('late'))).toMatchObject({ effect: 'none', writes: 2 });
    expect(sent()).toHaveLength(2);
  });

  it(`skips the fallback when the returned history already holds ${HISTORY_LIMIT} entries`, async () => {
    const full = storedItem(Array.from({ length: HISTORY_LIMIT }, (_, i) => `old-${i}`));
    answer(refused(full));
    expect(await processRecord(body('late'))).toMatchObject({ effect: 'none', writes: 1 });
    // One below the limit: the fallback can still apply.
    ddb.reset();
    answer(refused(storedItem(Array.from({ length: HISTORY_LIMIT - 1 }, (_, i) => `old-${i}`))));
    expect(await processRecord(body('late'))).toMatchObject({ effect: 'history', writes: 2 });
  });

  it('ignores an item it cannot read exactly, and sends the fallback', async () => {
    answer(refused({ messageId: { S: MESSAGE_ID }, appliedIds: { S: 'dup' } }), 'refuse');
    expect(await processRecord(body('dup'))).toMatchObject({ effect: 'none', writes: 2 });
  });

  it('sends nothing more for a refused unknown-type event, item or not', async () => {
    ddb.on(UpdateItemCommand).rejects(refused());
    expect(await processRecord(body('odd', 'message.bounced'))).toMatchObject({ effect: 'none', writes: 1 });
    expect(sent()).toHaveLength(1);
    expect(sent()[0]!.ReturnValuesOnConditionCheckFailure).toBeUndefined();
  });

  it('propagates any other error of the state write, without a fallback', async () => {
    ddb
      .on(UpdateItemCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(processRecord(body('late'))).rejects.toThrow('slow down');
    expect(sent()).toHaveLength(1);
  });
});

describe('a refused state write on a full history', () => {
  /** `n` entries in history and in appliedIds, the state at `stateKey`. */
  const fullItem = (n: number, stateKey: string): Record<string, AttributeValue> => ({
    ...storedItem(Array.from({ length: n }, (_, i) => `old-${i}`)),
    stateKey: { S: stateKey },
  });
  const OLDER = '1#2026-02-01T10:00:00.000Z#old';
  const stateOnly = () => sent().filter((i) => i.UpdateExpression?.includes('#historyDropped'));
  /** Refuses the state write with `item`; accepts the state-only write and the fallback unless told otherwise. */
  const answerFull = (item: Record<string, AttributeValue>, later: 'accept' | 'refuse' = 'accept') =>
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      const first =
        input.UpdateExpression?.includes('#stateKey') && !input.UpdateExpression.includes('#historyDropped');
      if (first) throw refused(item);
      if (later === 'refuse') throw refused();
      return {};
    });

  it(`applies a newer event without its history entry once history holds ${STATE_HISTORY_LIMIT}, at 2 requests`, async () => {
    answerFull(fullItem(STATE_HISTORY_LIMIT, OLDER));
    expect(await processRecord(body('newer'))).toMatchObject({ effect: 'state', writes: 2, historyDropped: true });
    const [write] = stateOnly();
    expect(sent()).toHaveLength(2);
    // The state, and the count; neither the history nor the applied set grows.
    expect(write?.UpdateExpression).toMatch(/#stateKey = :stateKey/);
    expect(write?.UpdateExpression).toMatch(/ADD #historyDropped :one$/);
    expect(write?.UpdateExpression).not.toMatch(/#history =|#appliedIds/);
    expect(write?.ConditionExpression).toBe(
      '(attribute_not_exists(#stateKey) OR #stateKey < :stateKey) AND size(#history) >= :stateHistoryLimit',
    );
  });

  it('reports the event dropped but not applied when a newer one won in between', async () => {
    answerFull(fullItem(STATE_HISTORY_LIMIT, OLDER), 'refuse');
    expect(await processRecord(body('newer'))).toMatchObject({ effect: 'none', writes: 2, historyDropped: true });
  });

  it('recognises a redelivery of an event applied without its entry by its stateKey: 1 request', async () => {
    const current = '2#2026-02-01T10:00:01.000Z#newer';
    answer(refused(fullItem(STATE_HISTORY_LIMIT, current)));
    expect(await processRecord(body('newer'))).toMatchObject({ effect: 'none', writes: 1, historyDropped: false });
  });

  it(`drops a stale event once history holds ${HISTORY_LIMIT}, and says so, at 1 request`, async () => {
    answer(refused(fullItem(HISTORY_LIMIT, '3#2026-02-01T10:00:02.000Z#fin')));
    expect(await processRecord(body('late'))).toMatchObject({ effect: 'none', writes: 1, historyDropped: true });
  });

  it('sends the fallback for a newer event when the history does not explain the refusal', async () => {
    answerFull(fullItem(10, OLDER), 'refuse');
    expect(await processRecord(body('newer'))).toMatchObject({ effect: 'none', writes: 2, historyDropped: false });
    expect(stateOnly()).toHaveLength(0);
  });

  it('compares stateKeys as DynamoDB does, by UTF-8 bytes', async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 but after its surrogates in UTF-16.
    const stored = '2#2026-02-01T10:00:01.000Z#\uff5e';
    expect('\uff5e' < '😀').toBe(false);
    answerFull(fullItem(STATE_HISTORY_LIMIT, stored));
    expect(await processRecord(body('😀'))).toMatchObject({ effect: 'state', writes: 2 });
  });
});
