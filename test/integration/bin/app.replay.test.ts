import { DeleteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, type Message } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../cli/main';
import { recordedIds } from '../../../cli/replay/progress';
import {
  archiveRecordBytes,
  decodeArchiveObject,
  encodeArchiveObject,
  type ArchiveRecord,
} from '../../../lambda/common/archive-record';
import { decodeQueueBody } from '../../../lambda/common/queue-message';
import { SIGNATURE_HEADER, signBody, verifySignature } from '../../../lambda/common/signature';
import { localStackFileOf, writeLocalStackFile } from '../../../local/stack-file';
import { vendorEvent } from '../../helpers/fixtures';
import { testKeyPair } from '../../helpers/keys';
import { takeAll as takeAllFrom, type Item } from '../../helpers/local-aws';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { waiter } from '../../helpers/wait';

// Replay through the product's stack on the local runner: signed deliveries go through the
// ingest into the archive (the archiver on the S3 stand-in), and `volt-webhooks replay --local-file`
// reads them back into queues and the table, as a user would against `npm start`.

const key = testKeyPair('replay');
const waitFor = waiter({ timeoutMs: 30_000 });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const hex = () => randomBytes(8).toString('hex');
const historyHasTime = (item: Item) =>
  (item['history']?.L ?? []).some((entry) => entry.M?.['occurredAt']?.S !== undefined);

/** One delivery: a vendor example with fresh ids (a new event of a new or given message). */
function event(name: string, messageId: string): { raw: string; webhookId: string } {
  const json = structuredClone(vendorEvent(name).json) as { id: string; payload: Record<string, unknown> };
  json.id = `rfw_replay_${hex()}`;
  if (json.payload['id'] !== null) json.payload['id'] = messageId;
  else json.payload['message_app_id'] = messageId;
  return { raw: JSON.stringify(json), webhookId: json.id };
}

/** Events of three outbound messages (sent, then delivered or failed) and two inbound ones. */
function burst(): { raw: string; webhookId: string }[] {
  const events: { raw: string; webhookId: string }[] = [];
  for (let i = 0; i < 3; i++) {
    const id = `rf_replay${hex()}`;
    events.push(event('message-sent', id), event(i === 2 ? 'message-failed' : 'message-delivered', id));
  }
  // An event without a time of its own: its item's occurredAt is the receive time, so a rebuilt
  // item equals the live one only if replay kept the original receivedAt.
  const timeless = event('message-received', `in-${hex()}`);
  const json = JSON.parse(timeless.raw) as { time?: unknown; payload: Record<string, unknown> };
  delete json.time;
  delete json.payload['occurred_at'];
  delete json.payload['received_at'];
  events.push({ ...timeless, raw: JSON.stringify(json) });
  // A text SQS refuses raw: queued base64-encoded, archived as text, replayed encoded again.
  const odd = event('message-received', `in-${hex()}`);
  events.push({ ...odd, raw: odd.raw.replace(/"text":"[^"]*"/, '"text":"odd \uFFFE text"') });
  return events;
}

describe('replay from the archive through the local stack', () => {
  let product: ProductStack;
  let dir: string;
  let stackFile: string;
  let s3: S3Client;
  let bucket: string;
  let prefix: string;
  const first = burst();
  const second = burst();
  let secondSince: string;
  let windowEnd: string;

  const post = async (raw: string) => {
    const res = await fetch(product.stack.webhookUrl ?? 'http://127.0.0.1:9/none', {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
  };

  /** Every record in the archive, object by object. */
  async function archived(): Promise<{ key: string; records: ArchiveRecord[] }[]> {
    const objects: { key: string; records: ArchiveRecord[] }[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const { Body } = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
        objects.push({ key: o.Key ?? '', records: decodeArchiveObject(await Body!.transformToByteArray(), o.Key) });
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return objects;
  }

  async function newQueue(): Promise<string> {
    const { QueueUrl } = await product.aws.sqs.send(new CreateQueueCommand({ QueueName: `replay-${hex()}` }));
    return QueueUrl ?? '';
  }

  const takeAll = (url: string): Promise<Message[]> => takeAllFrom(product.aws.sqs, url);

  const replay = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      ['replay', '--local-file', stackFile, '--progress-dir', path.join(dir, 'progress'), ...args],
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  const webhookIdsOf = (messages: Message[]) => messages.map((m) => m.MessageAttributes?.['webhookId']?.StringValue);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'volt-replay-'));
    product = await startProductStack({
      name: 'volt-replay',
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        subscribers: JSON.stringify([{ name: 'audit' }, { name: 'replies', eventTypes: ['message.received'] }]),
        // The archive's batching window as `npm start` sets it: objects a second after the deliveries.
        archiveBatchWindowSeconds: '1',
      },
    });
    const keyFile = path.join(dir, 'signing-key.pem');
    writeFileSync(keyFile, key.privatePem);
    const content = localStackFileOf(
      product.stack,
      { graphqlUrl: 'http://127.0.0.1:9/graphql', token: 'none' },
      keyFile,
    );
    stackFile = path.join(dir, 'stack.json');
    writeLocalStackFile(stackFile, content);
    bucket = content.archiveBucket ?? '';
    prefix = content.archivePrefix ?? '';
    const settings: S3ClientConfig = {
      region: product.stack.region,
      endpoint: content.s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    s3 = new S3Client(settings);

    for (const e of first) await post(e.raw);
    // Volt delivers one of them twice: the archive keeps both deliveries.
    await post(first[0]!.raw);
    await sleep(50);
    secondSince = new Date().toISOString();
    await sleep(5);
    for (const e of second) await post(e.raw);
    await sleep(5);
    windowEnd = new Date(Date.now() + 1).toISOString();
    const all = new Set([...first, ...second].map((e) => e.webhookId));
    await waitFor('every delivery in the archive', async () => {
      const ids = new Set((await archived()).flatMap((o) => o.records.map((r) => r.webhookId)));
      return [...all].every((id) => ids.has(id)) ? true : undefined;
    });
    await waitFor('the state queue to drain', async () =>
      (await product.aws.queueDepth(product.aws.queueUrl('state'))) === 0 ? true : undefined,
    );
  }, 120_000);

  afterAll(async () => {
    s3?.destroy();
    await product?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const since = () => new Date(Date.parse(secondSince) - 60 * 60_000).toISOString();

  test('the archive holds every delivery, byte for byte, and each verifies with the signing key', async () => {
    const records = (await archived()).flatMap((o) => o.records);
    const ids = new Set(records.map((r) => r.webhookId));
    expect(ids).toEqual(new Set([...first, ...second].map((e) => e.webhookId)));
    const raws = new Map([...first, ...second].map((e) => [e.webhookId, e.raw]));
    for (const r of records) {
      expect(r.body).toBe(raws.get(r.webhookId));
      expect(() => verifySignature(archiveRecordBytes(r), r.signature, [key.publicKey])).not.toThrow();
    }
  });

  test('a replay into a new subscriber queue delivers exactly the window, once each, as the live run did', async () => {
    const queue = await newQueue();
    const result = await replay('--since', secondSince, '--until', windowEnd, '--to', queue);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const messages = await takeAll(queue);
    expect(webhookIdsOf(messages).sort()).toEqual(second.map((e) => e.webhookId).sort());
    // The live subscriber got the same bodies and attributes; replay adds one, the same on every
    // message of the run: replayed=<the replay's id>, the name of its progress record.
    const live = new Map(
      (await takeAll(product.aws.queueUrl('audit'))).map((m) => [m.MessageAttributes?.['webhookId']?.StringValue, m]),
    );
    const replayId = /Progress record: .*\/([0-9a-f]{24})\.ndjson/.exec(result.out)?.[1];
    expect(replayId).toBeDefined();
    for (const m of messages) {
      const original = live.get(m.MessageAttributes?.['webhookId']?.StringValue);
      expect(original).toBeDefined();
      expect(m.Body).toBe(original?.Body);
      expect(original?.MessageAttributes?.['replayed']).toBeUndefined();
      expect(m.MessageAttributes).toEqual({
        ...original?.MessageAttributes,
        replayed: { DataType: 'String', StringValue: replayId },
      });
      const bytes = decodeQueueBody(m.Body ?? '', m.MessageAttributes?.['bodyEncoding']?.StringValue);
      expect(second.map((e) => e.raw)).toContain(bytes);
    }
    expect(messages.some((m) => m.MessageAttributes?.['bodyEncoding']?.StringValue === 'base64')).toBe(true);

    // The whole window: the repeated delivery goes out once.
    const whole = await newQueue();
    const all = await replay('--since', since(), '--until', windowEnd, '--to', whole, '--json');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.out) as unknown).toMatchObject({ duplicates: 1, sent: first.length + second.length });
    expect(webhookIdsOf(await takeAll(whole)).sort()).toEqual([...first, ...second].map((e) => e.webhookId).sort());
  }, 60_000);

  test('a replay into a subscriber that takes some event types sends it only those, as the ingest does', async () => {
    const live = webhookIdsOf(await takeAll(product.aws.queueUrl('replies'))).sort();
    const received = second.filter(
      (e) => (JSON.parse(e.raw) as { payload: { event_type?: string } }).payload.event_type === 'message.received',
    );
    expect(received.length).toBeGreaterThan(0);
    expect(received.length).toBeLessThan(second.length);
    const result = await replay('--since', secondSince, '--until', windowEnd, '--to', 'replies');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('(message.received)');
    const replayed = webhookIdsOf(await takeAll(product.aws.queueUrl('replies'))).sort();
    expect(replayed).toEqual(received.map((e) => e.webhookId).sort());
    // What the live run delivered to it, in the same window.
    expect(live).toEqual(expect.arrayContaining(replayed));

    // A type the subscriber never receives is refused, and nothing is sent.
    const refused = await replay(
      '--since',
      secondSince,
      '--until',
      windowEnd,
      '--to',
      'replies',
      '--event-types',
      'message.sent',
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--event-types message.sent: subscriber "replies" receives only message.received');
    expect(await takeAll(product.aws.queueUrl('replies'))).toEqual([]);
  }, 60_000);

  test('an interrupted replay resumes without sending anything twice', async () => {
    const queue = await newQueue();
    let batches = 0;
    // SQS fails every batch to this queue after the first: the run stops with one batch sent.
    product.stack.faults.sqs = (request) =>
      request.operation === 'SendMessageBatch' && request.queueUrl === queue && ++batches > 1
        ? { kind: 'error', status: 500, code: 'InternalError', message: 'injected' }
        : undefined;
    const args = ['--since', since(), '--until', windowEnd, '--to', queue, '--json'] as const;
    try {
      const broken = await replay(...args);
      expect(broken.code).toBe(1);
      expect(broken.err).toMatch(/^Error: .*InternalError/);
    } finally {
      delete product.stack.faults.sqs;
    }
    const done = await replay(...args);
    expect(done.code).toBe(0);
    const summary = JSON.parse(done.out) as { alreadySent: number; sent: number; progressRecord: string };
    expect(summary.alreadySent).toBeGreaterThan(0);
    expect(summary.alreadySent + summary.sent).toBe(first.length + second.length);
    const ids = recordedIds(summary.progressRecord);
    expect(ids).toHaveLength(new Set(ids).size);
    expect(ids.sort()).toEqual([...first, ...second].map((e) => e.webhookId).sort());
    const received = webhookIdsOf(await takeAll(queue));
    expect(received).toHaveLength(new Set(received).size);
    expect(received.sort()).toEqual([...first, ...second].map((e) => e.webhookId).sort());
  }, 60_000);

  test('a table rebuilt by replay into the state queue equals the original', async () => {
    const table = product.aws.tableName();
    const scan = async (): Promise<Item[]> =>
      ((await product.aws.dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? []).sort(
        (a, b) => String(a['messageId']?.S).localeCompare(String(b['messageId']?.S)),
      );
    // updatedAt is the time of the write and expiresAt counts from it: the two fields a rebuild changes.
    const comparable = (items: Item[]) =>
      items.map((item) =>
        Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'updatedAt' && k !== 'expiresAt')),
      );
    const original = await scan();
    // The timeless events' items hold their receive time, which replay must carry over.
    const received = new Map(
      (await archived()).flatMap((o) => o.records.map((r) => [r.webhookId, r.receivedAt] as const)),
    );
    const timeless = original.filter((item) => !historyHasTime(item));
    expect(timeless).toHaveLength(2);
    for (const item of timeless) expect(item['occurredAt']?.S).toBe(received.get(item['webhookId']?.S ?? ''));
    // Each burst: three outbound messages and two inbound ones.
    expect(original.length).toBe(10);
    for (const item of original)
      await product.aws.dynamodb.send(
        new DeleteItemCommand({ TableName: table, Key: { messageId: { S: item['messageId']?.S ?? '' } } }),
      );
    expect(await scan()).toEqual([]);

    const result = await replay('--since', since(), '--until', windowEnd, '--to', 'state');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    // Wait for the consumer, then compare whatever it wrote (a timeout still shows the difference).
    await waitFor(
      'the rebuilt table',
      async () => {
        const now = await scan();
        return JSON.stringify(comparable(now)) === JSON.stringify(comparable(original)) ? true : undefined;
      },
      15_000,
    ).catch(() => undefined);
    expect(comparable(await scan())).toEqual(comparable(original));
  }, 60_000);

  test('a replay into the state queue is applied by the consumer and not archived again', async () => {
    const archiveQueue = product.aws.queueUrl('archive');
    const stateQueue = product.aws.queueUrl('state');
    const countRecords = async () => (await archived()).reduce((n, o) => n + o.records.length, 0);
    const before = await countRecords();
    const ids = new Set((await archived()).flatMap((o) => o.records.map((r) => r.webhookId)));
    const sends: { operation: string; queueUrl: string | undefined; entries: number }[] = [];
    product.stack.faults.sqs = (call) => {
      if (call.operation.startsWith('SendMessage'))
        sends.push({ operation: call.operation, queueUrl: call.queueUrl, entries: call.messages.length });
      return undefined;
    };
    try {
      const result = await replay('--since', since(), '--until', windowEnd, '--to', 'state', '--restart', '--json');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.out) as unknown).toMatchObject({ sent: first.length + second.length });
      // The replayed messages reached the state queue and the consumer took them all off it.
      expect(sends.filter((c) => c.queueUrl === stateQueue).reduce((n, c) => n + c.entries, 0)).toBe(
        first.length + second.length,
      );
      await waitFor('the consumer to drain the state queue', async () =>
        (await product.aws.queueDepth(stateQueue)) === 0 ? true : undefined,
      );
      // Longer than the archiver's 1 s window, for anything forwarded to have been written.
      await sleep(3000);
    } finally {
      delete product.stack.faults.sqs;
    }
    expect(sends.filter((c) => c.queueUrl === archiveQueue)).toEqual([]);
    expect(await product.aws.queueDepth(archiveQueue)).toBe(0);
    expect(await countRecords()).toBe(before);
    expect(new Set((await archived()).flatMap((o) => o.records.map((r) => r.webhookId)))).toEqual(ids);
  }, 60_000);

  test('a tampered archived object is refused on replay, and listed', async () => {
    const objects = await archived();
    const target = objects.find((o) => o.records.some((r) => r.body.includes('"delivered"')))!;
    const victim = target.records.find((r) => r.body.includes('"delivered"'))!;
    const original = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: target.key }));
    const originalBytes = await original.Body!.transformToByteArray();
    const tampered = target.records.map((r) =>
      r === victim ? { ...r, body: r.body.replace('"delivered"', '"undelivered"') } : r,
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: target.key, Body: encodeArchiveObject(tampered) }));
    try {
      const queue = await newQueue();
      const result = await replay('--since', since(), '--until', windowEnd, '--to', queue);
      expect(result.code).toBe(1);
      expect(result.out).toMatch(
        new RegExp(
          `1 refused \\(not sent\\):\\n\\s+${victim.webhookId}\\s+received ${victim.receivedAt}\\s+signature does not verify`,
        ),
      );
      const received = webhookIdsOf(await takeAll(queue));
      expect(received).not.toContain(victim.webhookId);
      expect(received).toHaveLength(first.length + second.length - 1);
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: target.key, Body: originalBytes }));
    }
  }, 60_000);
});
