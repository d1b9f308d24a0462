import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProgressRecord, recordedIds, replayIdOf, type ReplayKey } from '../../../../cli/replay/progress';
import { replayWindow, type ReplayOptions } from '../../../../cli/replay/replay';
import { RecordChecker } from '../../../../cli/replay/verify';
import { parseWindow, type ReplayWindow } from '../../../../cli/replay/window';
import {
  archiveObjectKey,
  encodeArchiveObject,
  groupByHour,
  type ArchiveRecord,
} from '../../../../lambda/common/archive-record';
import { KeyRing } from '../../../../lambda/common/key-ring';
import { decodeQueueBody } from '../../../../lambda/common/queue-message';
import { DEFAULT_SCHEME } from '../../../../lambda/common/signature';
import { mockArchiveBucket, signedRecord } from '../../../helpers/archive-records';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/crm';
const LOCATION = { bucket: 'archive', prefix: 'deliveries/' };
const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

let dir: string;
let sentEntries: SendMessageBatchRequestEntry[];
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'replay-'));
  sentEntries = [];
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
    sentEntries.push(...input.Entries);
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

let objectCount = 0;
/** Writes records into archive objects of at most `size` records each, split by hour and keyed as the archiver does. */
function archive(
  records: ArchiveRecord[],
  objects: Map<string, Uint8Array> = new Map(),
  size = 3,
): Map<string, Uint8Array> {
  for (const { hour, records: ofHour } of groupByHour(records, new Date()).values()) {
    for (let i = 0; i < ofHour.length; i += size) {
      const key = archiveObjectKey(LOCATION.prefix, hour, [`sqs-${objectCount++}`]);
      objects.set(key, encodeArchiveObject(ofHour.slice(i, i + size)));
    }
  }
  return objects;
}

function record(n: number, receivedAt: string, eventType = 'message.sent'): ArchiveRecord {
  return signedRecord(volt.privateKey, { webhookId: `rfw_${n}`, messageId: `rf_${n}`, eventType, receivedAt });
}

function keyOf(window: ReplayWindow): ReplayKey {
  return {
    stack: 'test',
    ...LOCATION,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    eventTypes: window.eventTypes ?? [],
    queueUrl: QUEUE,
  };
}

function options(
  objects: Map<string, Uint8Array>,
  window: ReplayWindow,
  extra: Partial<ReplayOptions> = {},
): ReplayOptions {
  return {
    s3: mockArchiveBucket(objects, 2).s3,
    sqs,
    location: LOCATION,
    window,
    queueUrl: QUEUE,
    checker: new RecordChecker(new KeyRing({ pinned: [volt.publicKey] }), DEFAULT_SCHEME),
    progress: ProgressRecord.open(dir, keyOf(window)),
    retryDelayMs: 1,
    ...extra,
  };
}

const sentIds = () => sentEntries.map((e) => e.MessageAttributes?.['webhookId']?.StringValue);

describe('replayWindow', () => {
  // 10:00 to 12:30 spans three hour prefixes; records just outside it sit in the same hours.
  const window = parseWindow('2026-11-29T10:30:00Z', '2026-11-29T12:30:00Z');
  const inside = [
    record(1, '2026-11-29T10:30:00.000Z'),
    record(2, '2026-11-29T10:45:00.000Z', 'message.finalized'),
    record(3, '2026-11-29T11:00:00.000Z'),
    record(4, '2026-11-29T11:59:59.999Z', 'message.finalized'),
    record(5, '2026-11-29T12:29:59.999Z'),
  ];
  const outside = [
    record(6, '2026-11-29T10:29:59.999Z'),
    record(7, '2026-11-29T12:30:00.000Z'),
    record(8, '2026-11-29T09:00:00.000Z'),
  ];

  it('sends exactly the window, each event once, with its original body and attributes', async () => {
    const repeat = { ...inside[2]!, receivedAt: '2026-11-29T11:00:05.000Z' };
    const objects = archive([...outside, ...inside, repeat]);
    const summary = await replayWindow(options(objects, window));
    expect(summary).toMatchObject({
      hours: 3,
      records: 6,
      duplicates: 1,
      sent: 5,
      refused: [],
      failed: [],
      interrupted: false,
    });
    expect(summary.sentByEventType).toEqual({ 'message.sent': 3, 'message.finalized': 2 });
    expect(sentIds()).toEqual(['rfw_1', 'rfw_2', 'rfw_3', 'rfw_4', 'rfw_5']);
    for (const [i, entry] of sentEntries.entries()) {
      const original = inside[i]!;
      const attrs = entry.MessageAttributes ?? {};
      expect(decodeQueueBody(entry.MessageBody ?? '', attrs['bodyEncoding']?.StringValue)).toBe(original.body);
      expect(Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v.StringValue]))).toEqual({
        webhookId: original.webhookId,
        messageId: original.messageId,
        eventType: original.eventType,
        receivedAt: original.receivedAt,
        signature: original.signature,
      });
    }
    expect(ProgressRecord.open(dir, keyOf(window)).completed).toBeDefined();
  });

  it('marks every message it sends with the replayed attribute when given a replay id, the rest unchanged', async () => {
    const objects = archive(inside);
    const id = replayIdOf(keyOf(window));
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    // The same command has the same id, so a resumed replay marks its messages alike.
    expect(replayIdOf(keyOf(parseWindow('2026-11-29T10:30:00Z', '2026-11-29T12:30:00Z')))).toBe(id);
    await replayWindow(options(objects, window, { replayId: id }));
    expect(sentEntries).toHaveLength(inside.length);
    for (const [i, entry] of sentEntries.entries()) {
      const { replayed, ...rest } = entry.MessageAttributes ?? {};
      expect(replayed).toEqual({ DataType: 'String', StringValue: id });
      expect(rest['webhookId']?.StringValue).toBe(inside[i]!.webhookId);
      expect(Object.keys(rest).sort()).toEqual(['eventType', 'messageId', 'receivedAt', 'signature', 'webhookId']);
    }
  });

  it('keeps only the listed event types', async () => {
    const typed = parseWindow('2026-11-29T10:30:00Z', '2026-11-29T12:30:00Z', ['message.finalized']);
    const summary = await replayWindow(options(archive([...outside, ...inside]), typed));
    expect(summary.sent).toBe(2);
    expect(sentIds()).toEqual(['rfw_2', 'rfw_4']);
  });

  it('refuses and lists a tampered record, still sends a genuine copy of the same event, and lists an unreadable object', async () => {
    const tampered = { ...inside[0]!, body: inside[0]!.body.replace('"sent"', '"delivered"') };
    const objects = archive([tampered]);
    archive(inside, objects);
    objects.set(`${LOCATION.prefix}2026/11/29/11/broken.ndjson.gz`, Buffer.from('not gzip'));
    const summary = await replayWindow(options(objects, window));
    expect(summary.refused).toEqual([
      { webhookId: 'rfw_1', receivedAt: tampered.receivedAt, reason: 'signature does not verify with any trusted key' },
    ]);
    expect(summary.unreadable).toEqual([
      { key: `${LOCATION.prefix}2026/11/29/11/broken.ndjson.gz`, reason: expect.stringMatching(/not gzip/) },
    ]);
    expect(sentIds()).toEqual(['rfw_1', 'rfw_2', 'rfw_3', 'rfw_4', 'rfw_5']);
    const sentBody = sentEntries[0]?.MessageBody;
    expect(sentBody).toBe(inside[0]!.body);
    // Not done: the unreadable object may be readable later (or restored from a version).
    expect(ProgressRecord.open(dir, keyOf(window)).completed).toBeUndefined();
  });

  it('resumes an interrupted replay without sending or recording anything twice', async () => {
    const many = Array.from({ length: 25 }, (_, i) =>
      record(100 + i, new Date(Date.parse('2026-11-29T10:30:00Z') + i * 60_000).toISOString()),
    );
    const objects = archive(many, new Map(), 7);
    const stop = new AbortController();
    const first = await replayWindow(
      options(objects, window, {
        concurrency: 1,
        signal: stop.signal,
        onProgress: (p) => p.sent >= 10 && stop.abort(),
      }),
    );
    expect(first).toMatchObject({ interrupted: true, sent: 10 });
    const progressFile = ProgressRecord.open(dir, keyOf(window)).file;
    expect(recordedIds(progressFile)).toHaveLength(10);
    expect(ProgressRecord.open(dir, keyOf(window)).completed).toBeUndefined();

    const second = await replayWindow(options(objects, window));
    expect(second).toMatchObject({ interrupted: false, alreadySent: 10, sent: 15 });
    const ids = recordedIds(progressFile);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
    expect(sentIds()).toEqual(many.map((r) => r.webhookId));

    // A third run finds nothing left to send.
    sentEntries = [];
    const third = await replayWindow(options(objects, window));
    expect(third).toMatchObject({ alreadySent: 25, sent: 0 });
    expect(sentEntries).toEqual([]);
  });

  it('with batches in flight at once, an interruption lets them finish and records each of them', async () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      record(200 + i, new Date(Date.parse('2026-11-29T11:00:00Z') + i * 1000).toISOString()),
    );
    const objects = archive(many, new Map(), 25);
    const stop = new AbortController();
    const first = await replayWindow(
      options(objects, window, { concurrency: 2, signal: stop.signal, onProgress: (p) => p.sent > 0 && stop.abort() }),
    );
    // Two batches were in flight when the first one's progress stopped the run.
    expect(first).toMatchObject({ interrupted: true, sent: 20 });
    const progressFile = ProgressRecord.open(dir, keyOf(window)).file;
    expect(new Set(recordedIds(progressFile)).size).toBe(20);
    const second = await replayWindow(options(objects, window, { concurrency: 3 }));
    expect(second).toMatchObject({ interrupted: false, alreadySent: 20, sent: 40 });
    expect(recordedIds(progressFile)).toHaveLength(60);
    expect(new Set(recordedIds(progressFile)).size).toBe(60);
    expect([...sentIds()].sort()).toEqual(many.map((r) => r.webhookId).sort());
  });

  it('leaves entries SQS did not accept for the next run', async () => {
    sqsMock.reset();
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '1').map((e) => ({
        Id: e.Id,
        MessageId: 'm',
        MD5OfMessageBody: '',
      })),
      Failed: input.Entries.filter((e) => e.Id === '1').map((e) => ({
        Id: e.Id,
        SenderFault: false,
        Code: 'InternalError',
      })),
    }));
    const objects = archive(inside);
    const summary = await replayWindow(options(objects, window));
    // The second entry of each hour's batch: rfw_2 (10:xx) and rfw_4 (11:xx).
    expect(summary.failed.map((f) => f.webhookId)).toEqual(['rfw_2', 'rfw_4']);
    const progress = ProgressRecord.open(dir, keyOf(window));
    expect(progress.completed).toBeUndefined();
    expect([...progress.sent].sort()).toEqual(['rfw_1', 'rfw_3', 'rfw_5']);

    sqsMock.reset();
    sentEntries = [];
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
      sentEntries.push(...input.Entries);
      return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
    });
    const rerun = await replayWindow(options(objects, window));
    expect(rerun).toMatchObject({ alreadySent: 3, sent: 2, failed: [] });
    expect(sentIds()).toEqual(['rfw_2', 'rfw_4']);
    expect(ProgressRecord.open(dir, keyOf(window)).completed).toBeDefined();
  });

  it('with dryRun sends and records nothing, and counts what it would send', async () => {
    const opts = options(archive([...outside, ...inside]), window, { dryRun: true });
    const summary = await replayWindow(opts);
    expect(summary.sent).toBe(5);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(existsSync(opts.progress!.file)).toBe(false);
  });
});
