import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { request } from 'node:http';
import type { ConsoleAssets } from '../../../../cli/console/assets';
import { ConsoleData } from '../../../../cli/console/data';
import { startConsoleServer, TOKEN_COOKIE, type ConsoleServer } from '../../../../cli/console/server';
import type { StackContext } from '../../../../cli/stack-context';
import { archiveObjectKey, encodeArchiveObject } from '../../../../lambda/common/archive-record';
import { answerFromArchive, signedRecord } from '../../../helpers/archive-records';
import { testKeyPair } from '../../../helpers/keys';

/**
 * The console's HTTP surface: every path needs the token, only loopback Host names are
 * answered, and a deployed stack is only read (the AWS calls behind every endpoint are
 * Get/Query/Scan/Describe ones, and there is no send endpoint).
 */

const ASSETS: ConsoleAssets = {
  files: {
    '/index.html': { type: 'text/html; charset=utf-8', body: '<!doctype html><title>console</title>' },
    '/console.js': { type: 'text/javascript; charset=utf-8', body: 'void 0;' },
    '/console.css': { type: 'text/css; charset=utf-8', body: 'body{}' },
  },
};

const TOKEN = 'a'.repeat(64);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw HTTP request, so the Host header can be anything (fetch would not send a forged one). */
function call(
  server: ConsoleServer,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${server.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const withCookie = (headers: Record<string, string> = {}) => ({ cookie: `${TOKEN_COOKIE}=${TOKEN}`, ...headers });

const ENDPOINTS = [
  '/',
  '/console.js',
  '/console.css',
  '/api/info',
  '/api/messages',
  '/api/messages/rf_abc',
  '/api/failures',
  '/api/health',
];

describe('with a stub data source', () => {
  const sent: unknown[] = [];
  const data = {
    ctx: { kind: 'local' as const, source: '/tmp/.local/stack.json' },
    messages: jest.fn(async () => ({
      messages: [{ messageId: 'rf_1', status: 'sent' }],
      truncated: false,
      source: 'scan' as const,
    })),
    message: jest.fn(async (id: string) => ({
      message: { messageId: id },
      timeline: [],
      unrecorded: [],
      archive: { state: 'off' as const, detail: 'archive not available' },
    })),
    failures: jest.fn(async () => ({ buckets: [], bucketMs: 3_600_000, byErrorCode: {}, byCarrier: {}, total: 0 })),
    health: jest.fn(async () => ({
      mode: 'local' as const,
      source: 'x',
      queues: [],
      lastWebhook: { check: 'last webhook' as const, status: 'ok' as const, reason: 'now' },
    })),
    send: jest.fn(async (input: unknown) => {
      sent.push(input);
      return { id: 'rf_new' };
    }),
  };
  let server: ConsoleServer;

  beforeAll(async () => {
    server = await startConsoleServer({
      data,
      assets: ASSETS,
      token: TOKEN,
      now: () => new Date('2026-05-01T12:00:00Z'),
    });
  });
  afterAll(() => server.close());

  test('listens on 127.0.0.1 only, and prints a URL holding the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.openUrl).toBe(`${server.url}?token=${TOKEN}`);
  });

  test('a generated token is 32 random bytes, different for each server', async () => {
    const other = await startConsoleServer({ data, assets: ASSETS });
    const third = await startConsoleServer({ data, assets: ASSETS });
    try {
      expect(other.token).toMatch(/^[0-9a-f]{64}$/);
      expect(other.token).not.toBe(third.token);
    } finally {
      await other.close();
      await third.close();
    }
  });

  test.each(ENDPOINTS)('%s is refused with 401 without the token', async (path) => {
    const res = await call(server, path);
    expect(res.status).toBe(401);
    expect(res.body).not.toContain('rf_');
  });

  test.each(ENDPOINTS)('%s is refused with 401 with a wrong token, as cookie, header or query', async (path) => {
    const wrong = 'b'.repeat(64);
    expect((await call(server, path, { headers: { cookie: `${TOKEN_COOKIE}=${wrong}` } })).status).toBe(401);
    expect((await call(server, path, { headers: { 'x-console-token': wrong } })).status).toBe(401);
    expect((await call(server, `${path}${path.includes('?') ? '&' : '?'}token=${wrong}`)).status).toBe(401);
  });

  test.each(ENDPOINTS)('%s answers with the token', async (path) => {
    const res = await call(server, path, { headers: withCookie() });
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['cache-control']).toBe('no-store');
  });

  test.each(ENDPOINTS)('%s refuses a non-loopback Host (DNS rebinding) even with the token', async (path) => {
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1.nip.io:${server.port}`,
      `192.168.1.2:${server.port}`,
    ]) {
      const res = await call(server, path, { headers: withCookie({ host }) });
      expect(res.status).toBe(403);
    }
  });

  test('accepts the loopback names with the server port: 127.0.0.1, localhost, [::1]', async () => {
    for (const host of ['127.0.0.1', 'localhost', '[::1]']) {
      const res = await call(server, '/api/info', { headers: withCookie({ host: `${host}:${server.port}` }) });
      expect(res.status).toBe(200);
    }
  });

  test('the token in the first URL becomes an HttpOnly SameSite=Strict cookie, and leaves the address bar', async () => {
    const res = await call(server, `/?token=${TOKEN}`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`${TOKEN_COOKIE}=${TOKEN}`);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
  });

  test('the token header works for scripts', async () => {
    expect((await call(server, '/api/info', { headers: { 'x-console-token': TOKEN } })).status).toBe(200);
  });

  test('/api/messages passes its filters on, parsed; a bad one is a 400', async () => {
    const res = await call(
      server,
      '/api/messages?status=failures&direction=outbound&contact=%2B1%20555%20555%200123&since=2h&limit=5',
      {
        headers: withCookie(),
      },
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).messages[0].messageId).toBe('rf_1');
    expect(data.messages).toHaveBeenLastCalledWith({
      status: 'failures',
      direction: 'outbound',
      contact: '+15555550123',
      limit: 5,
      range: { since: '2026-05-01T10:00:00.000Z', until: '2026-05-01T12:00:00.000Z' },
    });
    for (const bad of ['contact=12', 'direction=sideways', 'since=yesterday', 'limit=0', 'since=1h&until=2h'])
      expect((await call(server, `/api/messages?${bad}`, { headers: withCookie() })).status).toBe(400);
  });

  test('/api/failures defaults to the last 7 days', async () => {
    await call(server, '/api/failures', { headers: withCookie() });
    expect(data.failures).toHaveBeenLastCalledWith({
      since: '2026-04-24T12:00:00.000Z',
      until: '2026-05-01T12:00:00.000Z',
    });
  });

  test('/api/messages/<id> reads that message', async () => {
    const res = await call(server, '/api/messages/rf_o6aDxhawR227gt5wgZ2I', { headers: withCookie() });
    expect(JSON.parse(res.body).message.messageId).toBe('rf_o6aDxhawR227gt5wgZ2I');
  });

  test('/api/send (local) sends valid JSON from this origin only', async () => {
    const body = JSON.stringify({ to: '+15555550100', from: '+15555550123', body: 'hi' });
    const json = { 'content-type': 'application/json' };
    const ok = await call(server, '/api/send', {
      method: 'POST',
      headers: withCookie({ ...json, origin: `http://127.0.0.1:${server.port}` }),
      body,
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ id: 'rf_new' });
    expect(sent).toEqual([{ to: '+15555550100', from: '+15555550123', body: 'hi' }]);

    expect((await call(server, '/api/send', { method: 'POST', body })).status).toBe(401);
    expect(
      (
        await call(server, '/api/send', {
          method: 'POST',
          headers: withCookie({ ...json, origin: 'https://evil.example' }),
          body,
        })
      ).status,
    ).toBe(403);
    // A cross-site form can only send form encodings.
    expect(
      (
        await call(server, '/api/send', {
          method: 'POST',
          headers: withCookie({ 'content-type': 'application/x-www-form-urlencoded' }),
          body: 'to=1',
        })
      ).status,
    ).toBe(415);
    expect((await call(server, '/api/send', { headers: withCookie() })).status).toBe(405);
    expect(
      (
        await call(server, '/api/send', {
          method: 'POST',
          headers: withCookie(json),
          body: JSON.stringify({ to: '12', from: '+15555550123', body: 'x' }),
        })
      ).status,
    ).toBe(400);
    expect(sent).toHaveLength(1);
  });

  test('unknown paths are 404, writes to pages 405', async () => {
    expect((await call(server, '/etc/passwd', { headers: withCookie() })).status).toBe(404);
    expect((await call(server, '/api/nope', { headers: withCookie() })).status).toBe(404);
    expect((await call(server, '/', { method: 'POST', headers: withCookie() })).status).toBe(405);
  });
});

describe('deployed mode reads only', () => {
  const dynamodb = mockClient(DynamoDBClient);
  const sqs = mockClient(SQSClient);
  const cloudwatch = mockClient(CloudWatchClient);
  const s3 = mockClient(S3Client);
  const url = (name: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`;
  const ctx: StackContext = {
    kind: 'deployed',
    source: 'Ops',
    region: 'eu-west-1',
    outputs: {
      TableName: 'Ops-Messages',
      StateQueueUrl: url('state'),
      StateDlqUrl: url('state-dlq'),
      QuarantineQueueUrl: url('quarantine'),
      ArchiveBucketName: 'ops-archive',
      ArchivePrefix: 'deliveries/',
    },
    dynamodb: { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
    sqs: { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
  };
  let server: ConsoleServer;
  let data: ConsoleData;

  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] ??= 'test';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test';
    dynamodb.onAnyCommand().resolves({ Items: [] });
    const sentAt = '2026-05-01T10:00:00.000Z';
    dynamodb.on(GetItemCommand).resolves({
      Item: {
        messageId: { S: 'rf_abc' },
        status: { S: 'sent' },
        webhookId: { S: 'rfw_sent' },
        occurredAt: { S: sentAt },
        history: {
          L: [
            {
              M: {
                webhookId: { S: 'rfw_sent' },
                eventType: { S: 'message.sent' },
                status: { S: 'sent' },
                occurredAt: { S: sentAt },
              },
            },
          ],
        },
      },
    });
    // Volt delivered rfw_sent twice; the archive also holds a finalized event the table has not applied.
    const key = testKeyPair('console-server').privateKey;
    const records = [
      signedRecord(key, { webhookId: 'rfw_sent', messageId: 'rf_abc', receivedAt: '2026-05-01T10:00:01.000Z' }),
      signedRecord(key, { webhookId: 'rfw_sent', messageId: 'rf_abc', receivedAt: '2026-05-01T10:00:40.000Z' }),
      signedRecord(key, {
        webhookId: 'rfw_fin',
        messageId: 'rf_abc',
        eventType: 'message.finalized',
        receivedAt: '2026-05-01T10:00:41.000Z',
      }),
    ];
    answerFromArchive(
      s3,
      new Map([[archiveObjectKey('deliveries/', new Date(sentAt), ['m1']), encodeArchiveObject(records)]]),
    );
    sqs
      .onAnyCommand()
      .resolves({ Attributes: { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' } });
    cloudwatch.onAnyCommand().resolves({});
    data = new ConsoleData(ctx);
    server = await startConsoleServer({ data, assets: ASSETS, token: TOKEN });
  });
  afterAll(async () => {
    await server.close();
    data.close();
    dynamodb.restore();
    sqs.restore();
    cloudwatch.restore();
    s3.restore();
  });

  const commandNames = () =>
    [dynamodb, sqs, cloudwatch, s3].flatMap((mock) => mock.calls().map((c) => (c.args[0] as object).constructor.name));

  test('every endpoint answers through Get/Query/Scan/Describe calls, and nothing else', async () => {
    for (const path of ENDPOINTS) expect((await call(server, path, { headers: withCookie() })).status).toBe(200);
    expect((await call(server, '/api/messages?status=failures', { headers: withCookie() })).status).toBe(200);
    expect((await call(server, '/api/messages?contact=%2B15555550123', { headers: withCookie() })).status).toBe(200);
    const names = new Set(commandNames());
    // Each kind of read happened, so the assertion below is about real calls.
    expect([...names].sort()).toEqual(
      expect.arrayContaining([
        'DescribeAlarmsCommand',
        'GetItemCommand',
        'GetMetricDataCommand',
        'GetObjectCommand',
        'GetQueueAttributesCommand',
        'ListMetricsCommand',
        'ListObjectsV2Command',
        'QueryCommand',
        'ScanCommand',
      ]),
    );
    for (const name of names) expect(name).toMatch(/^(Get|Query|Scan|Describe|List|BatchGet)\w*Command$/);
  });

  test('a timeline counts each event’s deliveries from the archive and lists those the history lacks', async () => {
    const res = await call(server, '/api/messages/rf_abc', { headers: withCookie() });
    expect(res.status).toBe(200);
    const detail = JSON.parse(res.body);
    expect(detail.timeline).toEqual([
      expect.objectContaining({
        webhookId: 'rfw_sent',
        role: 'current',
        deliveries: 2,
        duplicate: true,
        receivedAt: ['2026-05-01T10:00:01.000Z', '2026-05-01T10:00:40.000Z'],
      }),
    ]);
    expect(detail.unrecorded).toEqual([
      expect.objectContaining({
        webhookId: 'rfw_fin',
        eventType: 'message.finalized',
        deliveries: 1,
        duplicate: false,
      }),
    ]);
    expect(detail.archive).toMatchObject({ state: 'read', hours: expect.any(Array), objectsUnread: 0 });
    expect(detail.archive.detail).toMatch(/^archive read: 2 hour\(s\) of s3:\/\/ops-archive\/deliveries\//);
  });

  test('there is no send endpoint: POST /api/send is a 404 and sends nothing', async () => {
    const before = commandNames().length;
    const res = await call(server, '/api/send', {
      method: 'POST',
      headers: withCookie({ 'content-type': 'application/json' }),
      body: JSON.stringify({ to: '+15555550100', from: '+15555550123', body: 'hi' }),
    });
    expect(res.status).toBe(404);
    expect(commandNames()).toHaveLength(before);
    const info = JSON.parse((await call(server, '/api/info', { headers: withCookie() })).body);
    expect(info).toEqual({ mode: 'deployed', source: 'Ops', canSend: false });
  });
});
