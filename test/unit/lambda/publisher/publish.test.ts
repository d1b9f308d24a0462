import {
  MAX_ENTRIES_PER_CALL,
  publishChanges,
  PutMemory,
  type PublishOptions,
  type PublishRecord,
  type PutEvents,
  type PutEventsEntry,
} from '../../../../lambda/publisher/publish';

/** A stream record that is a status change of message `n` (first state: sent). */
function change(n: number, status = 'sent'): PublishRecord {
  return {
    eventID: `ev-${n}`,
    eventName: 'INSERT',
    dynamodb: {
      SequenceNumber: String(1000 + n),
      NewImage: {
        messageId: { S: `rf_${n}` },
        webhookId: { S: `rfw_${n}` },
        stateKey: { S: `2#2026-11-25T01:00:00.000Z#rfw_${n}` },
        status: { S: status },
        eventType: { S: 'message.sent' },
        occurredAt: { S: '2026-11-25T01:00:00.000Z' },
      },
    },
  };
}

/** A stream record that is no status change (a history write). */
function historyWrite(n: number): PublishRecord {
  const image = change(n).dynamodb?.NewImage ?? {};
  return {
    eventID: `ev-${n}`,
    eventName: 'MODIFY',
    dynamodb: { SequenceNumber: String(1000 + n), OldImage: image, NewImage: image },
  };
}

/** A bus that accepts everything except what `refuse` says, and records what it accepted. */
function fakeBus(refuse: (entry: PutEventsEntry, call: number) => boolean | 'throw' = () => false) {
  const accepted: string[] = [];
  const calls: number[] = [];
  let call = 0;
  const putEvents: PutEvents = async (entries) => {
    call++;
    calls.push(entries.length);
    if (entries.some((e) => refuse(e, call) === 'throw'))
      throw Object.assign(new Error('down'), { name: 'InternalException' });
    const results = entries.map((e) => {
      if (refuse(e, call)) return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
      accepted.push((JSON.parse(e.Detail) as { webhookId: string }).webhookId);
      return { EventId: `id-${accepted.length}` };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  };
  return { putEvents, accepted, calls };
}

function options(
  putEvents: PutEvents,
  memory = new PutMemory(),
  overrides: Partial<PublishOptions> = {},
): PublishOptions {
  return {
    eventBusName: 'bus',
    source: 'volt-sms-webhooks',
    putEvents,
    memory,
    deadline: Date.now() + 60_000,
    sleep: async () => undefined,
    ...overrides,
  };
}

describe('publishChanges', () => {
  it('puts one event per status change, in stream order, and none for other records', async () => {
    const bus = fakeBus();
    const result = await publishChanges([change(1), historyWrite(2), change(3)], options(bus.putEvents));
    expect(bus.accepted).toEqual(['rfw_1', 'rfw_3']);
    expect(result).toEqual({ put: 2, resent: 0, alreadyPut: 0, notChanges: 1 });
  });

  it('builds each entry from the change: source, detail-type, the bus, the detail as JSON and its time', async () => {
    const entries: PutEventsEntry[] = [];
    await publishChanges(
      [change(1, 'delivered')],
      options(async (e) => {
        entries.push(...e);
        return { FailedEntryCount: 0, Entries: e.map(() => ({ EventId: 'x' })) };
      }),
    );
    expect(entries).toEqual([
      {
        Source: 'volt-sms-webhooks',
        DetailType: 'Message Delivered',
        EventBusName: 'bus',
        Detail: expect.stringContaining('"webhookId":"rfw_1"'),
        Time: new Date('2026-11-25T01:00:00.000Z'),
      },
    ]);
  });

  it('sends at most 10 entries per PutEvents call', async () => {
    const bus = fakeBus();
    await publishChanges(
      Array.from({ length: 23 }, (_, i) => change(i)),
      options(bus.putEvents),
    );
    expect(bus.calls).toEqual([MAX_ENTRIES_PER_CALL, MAX_ENTRIES_PER_CALL, 3]);
    expect(bus.accepted).toHaveLength(23);
  });

  it('sends a refused entry again alone, and puts every event exactly once', async () => {
    // The second entry is refused on the first call only (FailedEntryCount 1).
    const bus = fakeBus((e, call) => call === 1 && e.Detail.includes('rfw_2'));
    const result = await publishChanges([change(1), change(2), change(3)], options(bus.putEvents));
    expect(bus.calls).toEqual([3, 1]);
    expect([...bus.accepted].sort()).toEqual(['rfw_1', 'rfw_2', 'rfw_3']);
    expect(result).toMatchObject({ put: 3, resent: 1 });
    expect(result.failedSequenceNumber).toBeUndefined();
  });

  it('sends a whole call again when it failed, and puts every event exactly once', async () => {
    const bus = fakeBus((_e, call) => (call <= 2 ? 'throw' : false));
    const result = await publishChanges([change(1), change(2)], options(bus.putEvents));
    expect(bus.accepted).toEqual(['rfw_1', 'rfw_2']);
    expect(result).toMatchObject({ put: 2, resent: 4 });
  });

  it('stops at the first entry still refused and reports its record, sending nothing after its call', async () => {
    const bus = fakeBus((e) => e.Detail.includes('rfw_3'));
    const records = Array.from({ length: 15 }, (_, i) => change(i));
    const result = await publishChanges(records, options(bus.putEvents, new PutMemory(), { maxAttempts: 3 }));
    // The first call (0-9): all but rfw_3 accepted; the second call (10-14) is never sent.
    expect(bus.accepted).toEqual(['rfw_0', 'rfw_1', 'rfw_2', 'rfw_4', 'rfw_5', 'rfw_6', 'rfw_7', 'rfw_8', 'rfw_9']);
    expect(bus.calls).toEqual([10, 1, 1]);
    expect(result.failedSequenceNumber).toBe('1003');
  });

  it('on Lambda’s retry from the reported record, skips what this environment put already: exactly once in all', async () => {
    const memory = new PutMemory();
    let down = true;
    const bus = fakeBus((e) => down && e.Detail.includes('rfw_3'));
    const records = Array.from({ length: 6 }, (_, i) => change(i));
    const first = await publishChanges(records, options(bus.putEvents, memory, { maxAttempts: 2 }));
    expect(first.failedSequenceNumber).toBe('1003');
    down = false;
    // Lambda retries from the reported record: 3, 4, 5.
    const retry = await publishChanges(records.slice(3), options(bus.putEvents, memory));
    expect(retry).toMatchObject({ put: 1, alreadyPut: 2 });
    expect(retry.failedSequenceNumber).toBeUndefined();
    expect([...bus.accepted].sort()).toEqual(['rfw_0', 'rfw_1', 'rfw_2', 'rfw_3', 'rfw_4', 'rfw_5']);
  });

  it('starts no retry that would run past the deadline', async () => {
    const bus = fakeBus(() => true);
    const result = await publishChanges(
      [change(1)],
      options(bus.putEvents, new PutMemory(), { deadline: Date.now() - 1 }),
    );
    expect(bus.calls).toEqual([1]);
    expect(result.failedSequenceNumber).toBe('1001');
  });

  it('backs off between attempts, doubling with jitter', async () => {
    const delays: number[] = [];
    const bus = fakeBus(() => true);
    await publishChanges(
      [change(1)],
      options(bus.putEvents, new PutMemory(), {
        maxAttempts: 4,
        baseDelayMs: 100,
        sleep: async (ms) => {
          delays.push(ms);
        },
      }),
    );
    expect(delays).toHaveLength(3);
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(100 * 2 ** i);
    });
  });

  it('treats a missing result entry as refused', async () => {
    const calls: number[] = [];
    const result = await publishChanges(
      [change(1), change(2)],
      options(async (e) => {
        calls.push(e.length);
        return {
          FailedEntryCount: 0,
          Entries: calls.length === 1 ? [{ EventId: 'a' }] : e.map(() => ({ EventId: 'b' })),
        };
      }),
    );
    expect(calls).toEqual([2, 1]);
    expect(result).toMatchObject({ put: 2, resent: 1 });
  });
});

describe('PutMemory', () => {
  it('forgets the oldest ids beyond its capacity', () => {
    const memory = new PutMemory(2);
    memory.add('a');
    memory.add('b');
    memory.add('c');
    expect([memory.has('a'), memory.has('b'), memory.has('c'), memory.size]).toEqual([false, true, true, 2]);
  });
});
