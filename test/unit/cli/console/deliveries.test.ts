import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveObjectKey, encodeArchiveObject, type ArchiveRecord } from '../../../../lambda/common/archive-record';
import {
  ArchiveDeliveries,
  deliveriesById,
  deliverySpans,
  hourStartOf,
  markDeliveries,
} from '../../../../cli/console/deliveries';
import { timelineOf, type MessageView } from '../../../../cli/message-queries';
import type { StackContext } from '../../../../cli/stack-context';
import { mockArchiveBucket, signedRecord } from '../../../helpers/archive-records';
import { testKeyPair } from '../../../helpers/keys';

const key = testKeyPair('console-deliveries');
const MSG = 'rf_dup';

const record = (webhookId: string, receivedAt: string, fields: Partial<ArchiveRecord> = {}): ArchiveRecord => ({
  ...signedRecord(key.privateKey, {
    webhookId,
    messageId: fields.messageId ?? MSG,
    eventType: fields.eventType ?? 'message.sent',
    receivedAt,
  }),
  ...fields,
});

/** An item whose history holds a sent and a finalized event, the finalized one current. */
const view: MessageView = {
  messageId: MSG,
  status: 'delivered',
  webhookId: 'rfw_fin',
  occurredAt: '2026-05-01T10:00:05.000Z',
  updatedAt: '2026-05-01T10:00:06.000Z',
  history: [
    { webhookId: 'rfw_sent', eventType: 'message.sent', status: 'sent', occurredAt: '2026-05-01T10:00:00.000Z' },
    {
      webhookId: 'rfw_fin',
      eventType: 'message.finalized',
      status: 'delivered',
      occurredAt: '2026-05-01T10:00:05.000Z',
    },
  ],
};

describe('counting and marking deliveries', () => {
  test('deliveries are counted per webhook id by receive time: a copy of one delivery in two objects counts once', () => {
    const byId = deliveriesById([
      record('rfw_a', '2026-05-01T10:00:01.000Z'),
      record('rfw_a', '2026-05-01T10:00:09.000Z'),
      record('rfw_a', '2026-05-01T10:00:01.000Z'),
      record('rfw_b', '2026-05-01T10:00:02.000Z'),
    ]);
    expect(byId.get('rfw_a')).toEqual(['2026-05-01T10:00:01.000Z', '2026-05-01T10:00:09.000Z']);
    expect(byId.get('rfw_b')).toEqual(['2026-05-01T10:00:02.000Z']);
  });

  test('an event delivered three times is a duplicate, one delivered once is not, one not archived has none', () => {
    const timeline = timelineOf(view);
    const { timeline: marked, unrecorded } = markDeliveries(timeline, [
      record('rfw_sent', '2026-05-01T10:00:01.000Z'),
      record('rfw_sent', '2026-05-01T10:00:31.000Z'),
      record('rfw_sent', '2026-05-01T10:01:31.000Z'),
    ]);
    expect(marked.map((e) => [e.webhookId, e.deliveries, e.duplicate, e.role])).toEqual([
      ['rfw_sent', 3, true, 'superseded'],
      ['rfw_fin', 0, false, 'current'],
    ]);
    expect(marked[0]?.receivedAt).toHaveLength(3);
    expect(unrecorded).toEqual([]);
  });

  test('archived deliveries whose webhook id the history lacks are listed, with what their body says', () => {
    const body = JSON.stringify({
      id: 'rfw_late',
      payload: {
        id: MSG,
        event_type: 'message.finalized',
        status: 'failed',
        occurred_at: '2026-05-01T10:00:07.000Z',
      },
    });
    const late = (receivedAt: string) => record('rfw_late', receivedAt, { eventType: 'message.finalized', body });
    const { unrecorded } = markDeliveries(timelineOf(view), [
      record('rfw_fin', '2026-05-01T10:00:06.000Z'),
      late('2026-05-01T10:00:08.000Z'),
      late('2026-05-01T10:00:20.000Z'),
    ]);
    expect(unrecorded).toEqual([
      {
        webhookId: 'rfw_late',
        eventType: 'message.finalized',
        status: 'failed',
        occurredAt: '2026-05-01T10:00:07.000Z',
        deliveries: 2,
        duplicate: true,
        receivedAt: ['2026-05-01T10:00:08.000Z', '2026-05-01T10:00:20.000Z'],
      },
    ]);
  });
});

describe('the hours read around a message', () => {
  test('events minutes apart are one span, an hour either side; one days later adds a span of its own', () => {
    expect(deliverySpans(view, timelineOf(view))).toEqual([
      { since: new Date('2026-05-01T09:00:00.000Z'), until: new Date('2026-05-01T11:00:06.000Z') },
    ]);
    const later = { ...view, updatedAt: '2026-05-03T08:30:00.000Z' };
    expect(deliverySpans(later, timelineOf(later))).toHaveLength(2);
    expect(deliverySpans({ messageId: MSG }, [])).toEqual([]);
  });

  test('an hour prefix names its hour', () => {
    expect(hourStartOf('deliveries/2026/05/01/09/')).toBe(Date.parse('2026-05-01T09:00:00Z'));
    expect(hourStartOf('deliveries/')).toBeNaN();
  });
});

describe('ArchiveDeliveries', () => {
  const ctx = (outputs: Record<string, string>): StackContext => ({
    kind: 'deployed',
    source: 'Ops',
    region: 'eu-west-1',
    outputs,
    dynamodb: { region: 'eu-west-1' },
    sqs: { region: 'eu-west-1' },
  });
  const withArchive = ctx({ ArchiveBucketName: 'ops-archive', ArchivePrefix: 'deliveries/' });
  const at = (iso: string) => new Date(iso);
  const object = (hour: string, id: string, records: ArchiveRecord[]): [string, Uint8Array] => [
    archiveObjectKey('deliveries/', at(hour), [id]),
    encodeArchiveObject(records),
  ];
  // Three objects in the message's hour (one of them another message's), one two hours later.
  const objects = new Map([
    object('2026-05-01T10:00:00Z', 'a', [
      record('rfw_sent', '2026-05-01T10:00:01.000Z'),
      record('rfw_other', '2026-05-01T10:00:01.500Z', { messageId: 'rf_other' }),
    ]),
    object('2026-05-01T10:00:00Z', 'b', [record('rfw_sent', '2026-05-01T10:00:31.000Z')]),
    object('2026-05-01T10:00:00Z', 'c', [record('rfw_fin', '2026-05-01T10:00:06.000Z')]),
    object('2026-05-01T12:00:00Z', 'd', [record('rfw_sent', '2026-05-01T12:30:00.000Z')]),
  ]);
  const now = () => Date.parse('2026-05-02T00:00:00Z');

  test('without an archive the timeline is the history alone, and says the archive is not available', async () => {
    const { s3, stub } = mockArchiveBucket(objects);
    const archive = new ArchiveDeliveries(ctx({}), { s3 });
    const out = await archive.mark(MSG, view, timelineOf(view));
    expect(out.archive.state).toBe('off');
    expect(out.archive.detail).toMatch(/^archive not available: .*no ArchiveBucketName/);
    expect(out.timeline.map((e) => e.deliveries)).toEqual([undefined, undefined]);
    expect(stub.calls()).toHaveLength(0);
  });

  test('reads the hours around the message with List and Get only, counting this message’s deliveries', async () => {
    const { s3, stub } = mockArchiveBucket(objects);
    const archive = new ArchiveDeliveries(withArchive, { s3, now });
    const out = await archive.mark(MSG, view, timelineOf(view));
    expect(out.archive).toMatchObject({
      state: 'read',
      hours: ['deliveries/2026/05/01/09/', 'deliveries/2026/05/01/10/', 'deliveries/2026/05/01/11/'],
      objectsRead: 3,
    });
    expect(out.timeline.map((e) => [e.webhookId, e.deliveries, e.duplicate])).toEqual([
      ['rfw_sent', 2, true],
      ['rfw_fin', 1, false],
    ]);
    // Another message's record in the same object is not this message's.
    expect(out.unrecorded).toEqual([]);
    const names = new Set(stub.calls().map((c) => (c.args[0] as object).constructor.name));
    expect([...names].sort()).toEqual(['GetObjectCommand', 'ListObjectsV2Command']);
  });

  test('at most N objects per request: the first says "partly read", the next reads on and none twice', async () => {
    const { s3, stub } = mockArchiveBucket(objects);
    const archive = new ArchiveDeliveries(withArchive, { s3, now, maxObjects: 2 });
    const first = await archive.mark(MSG, view, timelineOf(view));
    expect(first.archive).toMatchObject({ state: 'partial', objectsRead: 2, objectsUnread: 1 });
    expect(first.archive.detail).toMatch(/^archive partly read: 1 object\(s\) .*\(at most 2 are read per refresh\)/);
    const second = await archive.mark(MSG, view, timelineOf(view));
    expect(second.archive).toMatchObject({ state: 'read', objectsRead: 1, objectsCached: 2 });
    expect(second.timeline.map((e) => e.deliveries)).toEqual([2, 1]);
    expect(stub.commandCalls(GetObjectCommand)).toHaveLength(3);
    // The hours ended long before `now`, so the second request did not list them again.
    expect(stub.commandCalls(ListObjectsV2Command)).toHaveLength(3);
  });

  test('a time bound: a slow archive answers "partly read" with what it had, in about the bound', async () => {
    const { s3, stub } = mockArchiveBucket(objects);
    stub.on(GetObjectCommand).callsFake(
      () =>
        new Promise((_resolve, reject) => {
          // Unref'd: the request outlives the test, which must not wait for it.
          setTimeout(() => reject(Object.assign(new Error('slow'), { name: 'TimeoutError' })), 2000).unref();
        }),
    );
    const archive = new ArchiveDeliveries(withArchive, { s3, now, timeBoundMs: 100 });
    const started = Date.now();
    const out = await archive.mark(MSG, view, timelineOf(view));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(out.archive.state).toBe('partial');
    expect(out.archive.detail).toMatch(/the 0\.1 s bound/);
    expect(out.timeline.map((e) => e.deliveries)).toEqual([0, 0]);
  });

  test('an unreachable archive: the timeline still renders from the table, "archive not available"', async () => {
    const { s3, stub } = mockArchiveBucket(objects);
    stub
      .on(ListObjectsV2Command)
      .rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }));
    const archive = new ArchiveDeliveries(withArchive, { s3, now });
    const out = await archive.mark(MSG, view, timelineOf(view));
    expect(out.archive.state).toBe('unavailable');
    expect(out.archive.detail).toMatch(/^archive not available: /);
    expect(out.timeline.map((e) => [e.webhookId, e.role, e.deliveries])).toEqual([
      ['rfw_sent', 'superseded', undefined],
      ['rfw_fin', 'current', undefined],
    ]);
  });
});
