import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { startLocalStack, type LocalStack, type LocalStackEvent } from '../../../local/stack';
import { writeMiniAssembly } from '../../helpers/local-assembly';
import { queueDepth } from '../../helpers/local-aws';
import { waiter } from '../../helpers/wait';

// The runner's emulation of Lambda, SQS event sources and API Gateway, on a small template.

type BatchEvent = Extract<LocalStackEvent, { kind: 'batch' }>;

describe('local runner on a hand-written template', () => {
  let outdir: string;
  let stack: LocalStack;
  let sqs: SQSClient;
  const events: LocalStackEvent[] = [];

  const batches = () => events.filter((e): e is BatchEvent => e.kind === 'batch');
  const queueUrl = () => stack.queues.find((q) => q.logicalId === 'Queue')?.url ?? '';
  const dlqUrl = () => stack.queues.find((q) => q.logicalId === 'Dlq')?.url ?? '';
  const apiUrl = () => String(stack.outputs['ApiUrl']);

  const waitFor = waiter({ timeoutMs: 8000, intervalMs: 50 });
  const visibleCount = (url: string) => queueDepth(sqs, url);

  beforeAll(async () => {
    outdir = writeMiniAssembly();
    stack = await startLocalStack({ cdkOut: outdir, eventSources: false, onEvent: (e) => events.push(e) });
    sqs = new SQSClient({
      region: stack.region,
      endpoint: stack.sqsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    sqs?.destroy();
    await stack?.stop();
    rmSync(outdir, { recursive: true, force: true });
  });

  test('resolves intrinsics in outputs and function environments to local values', async () => {
    expect(stack.outputs['DlqName']).toBe('Mini-Dlq');
    const fn = stack.functions.get('Fn');
    expect(fn?.definition.environment['QUEUE_URL']).toBe(queueUrl());
    expect(fn?.definition.environment['SUB']).toBe('us-east-1/Mini-Queue');
    expect(fn?.definition.environment['AWS_ENDPOINT_URL_SQS']).toBe(stack.sqsEndpoint);
    // Lambda's logging controls reach the function as Lambda passes them.
    expect(fn?.definition.environment).toMatchObject({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'WARN' });
  });

  test('a partial batch failure deletes the successful records and redrives the failed one to the DLQ after maxReceiveCount', async () => {
    for (const body of ['ok-1', 'ok-2', 'poison']) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl(),
          MessageBody: body,
          MessageAttributes: { webhookId: { DataType: 'String', StringValue: `wh-${body}` } },
        }),
      );
    }
    stack.startEventSources();

    const first = await waitFor('the first batch', () => batches()[0]);
    expect(first.records).toBe(3);
    expect(first.failedMessageIds).toHaveLength(1);
    // Lambda's SQS event shape, attributes in camelCase with stringValue/dataType.
    const logged = events.find(
      (e): e is Extract<LocalStackEvent, { kind: 'log' }> => e.kind === 'log' && e.line.includes('"batch"'),
    );
    const record = (JSON.parse(logged?.line ?? '{}') as { records: Record<string, unknown>[] }).records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: stack.queues.find((q) => q.logicalId === 'Queue')?.arn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        webhookId: {
          stringValue: expect.stringMatching(/^wh-/),
          dataType: 'String',
          stringListValues: [],
          binaryListValues: [],
        },
      },
    });

    // The poison record is received twice (maxReceiveCount 2), then the stand-in moves it to the DLQ.
    const exhausted = await waitFor('the poison record at maxReceiveCount', () =>
      batches().find((b) => b.exhaustedMessageIds.length === 1),
    );
    expect(exhausted.records).toBe(1);
    const inDlq = await waitFor('the poison record in the DLQ', async () => {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl(), MessageAttributeNames: ['All'], WaitTimeSeconds: 0 }),
      );
      return out.Messages?.[0];
    });
    expect(inDlq.Body).toBe('poison');
    expect(inDlq.MessageAttributes?.['webhookId']?.StringValue).toBe('wh-poison');
    expect(await visibleCount(queueUrl())).toBe(0);
  }, 20_000);

  test('a thrown error fails the whole batch even with ReportBatchItemFailures', async () => {
    const before = batches().length;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(), MessageBody: 'throw' }));
    const failed = await waitFor('the failing batch', () =>
      batches()
        .slice(before)
        .find((b) => b.error !== undefined),
    );
    expect(failed.error).toMatch(/the whole batch fails/);
    expect(failed.failedMessageIds).toHaveLength(failed.records);
  }, 10_000);

  test('the HTTP API passes a payload v2 event: lowercased names, repeated headers joined, binary bodies base64', async () => {
    // fetch folds repeated headers itself; node:http sends an array as separate header lines.
    const { status, headers, body } = await new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = request(
          `${apiUrl()}/echo/a/b?x=1&x=2`,
          { method: 'PUT', headers: { 'X-Custom': ['one', 'two'], 'Content-Type': 'application/octet-stream' } },
          (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end(Buffer.from([0, 1, 2, 255]));
      },
    );
    expect(status).toBe(201);
    expect(headers['x-sub']).toBe('us-east-1/Mini-Queue');
    const event = JSON.parse(body) as Record<string, unknown> & {
      headers: Record<string, string>;
      requestContext: { http: { method: string; path: string } };
    };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /echo/{proxy+}',
      rawPath: '/echo/a/b',
      rawQueryString: 'x=1&x=2',
      queryStringParameters: { x: '1,2' },
      pathParameters: { proxy: 'a/b' },
      isBase64Encoded: true,
      body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    });
    expect(event.headers['x-custom']).toBe('one,two');
    expect(event.requestContext.http).toMatchObject({ method: 'PUT', path: '/echo/a/b' });
  });

  test('a JSON body arrives as text', async () => {
    const response = await fetch(`${apiUrl()}/echo/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    const event = (await response.json()) as { body: string; isBase64Encoded: boolean };
    expect(event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });

  test('a response without statusCode is a 200 JSON body, as API Gateway infers it', async () => {
    const response = await fetch(`${apiUrl()}/plain`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  test('an unknown route is 404 and a throwing function is 500, answered by the API', async () => {
    const missing = await fetch(`${apiUrl()}/nowhere`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
    const boom = await fetch(`${apiUrl()}/boom`, { method: 'POST' });
    expect(boom.status).toBe(500);
    expect(await boom.json()).toEqual({ message: 'Internal Server Error' });
  });

  test('the function timeout is enforced', async () => {
    await expect(stack.invoke('Fn', { sleepMs: 3000 })).rejects.toThrow(/Task timed out after 1.00 seconds/);
    // A fresh environment serves the next invocation.
    await expect(stack.invoke('Fn', { sleepMs: 1 })).resolves.toBe('slept');
  });
});

describe("local runner enforcing the stage's throttle", () => {
  test("answers 429 Too Many Requests beyond the template's DefaultRouteSettings, as API Gateway does", async () => {
    const outdir = writeMiniAssembly({ throttle: { rateLimit: 1, burstLimit: 4 } });
    const stack = await startLocalStack({ cdkOut: outdir, eventSources: false });
    try {
      const url = `${String(stack.outputs['ApiUrl'])}/plain`;
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const res = await fetch(url);
          return { status: res.status, body: await res.text() };
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const passed = answers.filter((a) => a.status === 200).length;
      // The bucket's 4 tokens, plus at most one per second refilled while the requests ran.
      expect(passed).toBeGreaterThanOrEqual(4);
      expect(passed).toBeLessThanOrEqual(4 + Math.ceil(seconds));
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(12 - passed);
      for (const a of refused) expect(JSON.parse(a.body)).toEqual({ message: 'Too Many Requests' });
    } finally {
      await stack.stop();
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('local runner failing like Lambda', () => {
  test('a wrong handler name fails at start with Runtime.HandlerNotFound', async () => {
    const outdir = writeMiniAssembly({ handler: 'index.nope' });
    try {
      await expect(startLocalStack({ cdkOut: outdir })).rejects.toThrow(
        /Runtime\.HandlerNotFound: index\.nope is undefined or not exported/,
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a missing module fails at start with Runtime.ImportModuleError', async () => {
    const outdir = writeMiniAssembly({ handler: 'main.handler' });
    try {
      await expect(startLocalStack({ cdkOut: outdir })).rejects.toThrow(/Runtime\.ImportModuleError/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a taken port is named in the error', async () => {
    const outdir = writeMiniAssembly();
    const first = await startLocalStack({ cdkOut: outdir });
    try {
      const port = Number(new URL(first.sqsEndpoint).port);
      await expect(startLocalStack({ cdkOut: outdir, ports: { sqs: port } })).rejects.toThrow(
        new RegExp(`port ${port} for the SQS stand-in is already in use`),
      );
    } finally {
      await first.stop();
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
