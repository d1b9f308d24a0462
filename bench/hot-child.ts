import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { APIGatewayProxyEventV2, Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { sqsRecord } from '../test/helpers/sqs-record';

/**
 * Warm CPU time per event of one handler (the TypeScript source, as bundled) with its AWS call
 * answered in-process, either at `send` (the handler's own work) or at the transport (the SDK
 * still builds, signs and parses every request), against the least work any implementation must do for the same event,
 * measured in alternating blocks in this one process. Runs as a child whose stdout the parent only counts,
 * because the handlers log every event there as they do on Lambda; the result goes to stderr.
 * argv: <ingest|consumer> <input json file> <send|transport>
 */

interface HotInput {
  readonly publicKeyPem: string;
  readonly bodies: readonly { readonly body: string; readonly signature: string }[];
  readonly rounds: number;
  readonly perRound: number;
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function measure(label: string, work: (i: number) => Promise<void> | void, count: number): Promise<number> {
  const start = cpuMicros();
  for (let i = 0; i < count; i++) await work(i);
  const used = cpuMicros() - start;
  if (!Number.isFinite(used)) throw new Error(`${label}: no CPU figure`);
  return used / count;
}

async function main(): Promise<void> {
  const [which, inputFile, stubAt] = process.argv.slice(2);
  if ((which !== 'ingest' && which !== 'consumer') || !inputFile || (stubAt !== 'send' && stubAt !== 'transport')) {
    throw new Error('usage: hot-child <ingest|consumer> <input.json> <send|transport>');
  }
  const input = JSON.parse(readFileSync(inputFile, 'utf8')) as HotInput;
  const pick = (i: number) => input.bodies[i % input.bodies.length] ?? input.bodies[0]!;

  let run: (i: number) => Promise<void>;
  let reference: (i: number) => void;
  let sends = 0;
  // Replaces the one network step of every SDK call; the handler's module-scope client is reached through its prototype.
  const answer = (
    reply: (request: HttpRequest) => unknown,
    client: typeof SQSClient | typeof DynamoDBClient,
    output: unknown,
  ) => {
    if (stubAt === 'send') {
      // Own property on the client class's prototype: the handler's module-scope instance finds it first.
      Object.defineProperty(client.prototype, 'send', {
        value: () => {
          sends++;
          return Promise.resolve(output);
        },
      });
      return;
    }
    NodeHttpHandler.prototype.handle = function handle(request: HttpRequest) {
      sends++;
      const body = Buffer.from(JSON.stringify(reply(request)));
      return Promise.resolve({
        response: new HttpResponse({
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(body.length) },
          body: Readable.from([body]),
        }),
      });
    };
  };
  if (which === 'ingest') {
    process.env['TARGET_QUEUES'] = JSON.stringify([
      { name: 'state', queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/state' },
      {
        name: 'crm',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/crm',
        eventTypes: ['message.received'],
      },
    ]);
    process.env['VOLT_PUBLIC_KEYS'] = JSON.stringify([input.publicKeyPem]);
    answer(
      (request) => {
        const body = (JSON.parse(String(request.body)) as { MessageBody?: string }).MessageBody ?? '';
        return { MessageId: 'hot', MD5OfMessageBody: createHash('md5').update(body).digest('hex') };
      },
      SQSClient,
      { MessageId: 'hot' },
    );
    // Loaded only now: the handler reads its configuration from the environment at load.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the env is set
    const { handler } = require('../lambda/ingest/handler') as typeof import('../lambda/ingest/handler');
    const events: APIGatewayProxyEventV2[] = input.bodies.map(({ body, signature }) => ({
      version: '2.0',
      routeKey: 'POST /webhooks',
      rawPath: '/webhooks',
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'x-respond-flow-signature': signature },
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'bench',
        domainPrefix: 'bench',
        http: { method: 'POST', path: '/webhooks', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
        requestId: 'r',
        routeKey: 'POST /webhooks',
        stage: '$default',
        time: '',
        timeEpoch: 0,
      },
      body,
      isBase64Encoded: false,
    }));
    run = async (i) => {
      const res = await handler(events[i % events.length] as APIGatewayProxyEventV2);
      if (res.statusCode !== 200 && res.statusCode !== 202)
        throw new Error(`ingest answered ${res.statusCode}: ${res.body}`);
    };
    const key = createPublicKey(input.publicKeyPem);
    reference = (i) => {
      const { body, signature } = pick(i);
      const bytes = Buffer.from(body, 'utf8');
      if (!verify('sha256', bytes, key, Buffer.from(signature, 'base64'))) throw new Error('reference: bad signature');
      JSON.parse(body);
    };
  } else {
    process.env['TABLE_NAME'] = 'messages';
    answer(() => ({}), DynamoDBClient, {});
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run after the env is set
    const { handler } = require('../lambda/consumer/handler') as typeof import('../lambda/consumer/handler');
    const record = (body: string, i: number): SQSRecord => sqsRecord(`m-${i}`, body);
    // Lambda hands the consumer batches of up to 10; per-event cost is per record of such batches.
    const batches: SQSEvent[] = [];
    for (let b = 0; b < Math.ceil(input.bodies.length / 10); b++) {
      batches.push({ Records: input.bodies.slice(b * 10, b * 10 + 10).map((x, j) => record(x.body, b * 10 + j)) });
    }
    const context = {
      functionName: 'bench',
      awsRequestId: 'hot',
      getRemainingTimeInMillis: () => 10_000,
    } as unknown as Context;
    run = async (i) => {
      const res = await handler(batches[i % batches.length] as SQSEvent, context);
      if (res.batchItemFailures.length > 0) throw new Error(`consumer failed ${res.batchItemFailures.length} records`);
    };
    // The least a consumer does per event: read the body, serialize one write of its fields.
    reference = (i) => {
      const parsed = JSON.parse(pick(i).body) as { id: string; payload: Record<string, unknown> };
      const item: Record<string, { S: string }> = { webhookId: { S: parsed.id } };
      for (const [k, v] of Object.entries(parsed.payload)) if (typeof v === 'string') item[k] = { S: v };
      JSON.stringify({ TableName: 'messages', Item: item });
    };
  }

  // Consumer runs are per batch of 10 events.
  const perCall = which === 'consumer' ? 10 : 1;
  const handlerCalls = Math.max(1, Math.round(input.perRound / perCall));
  for (let i = 0; i < Math.max(50, handlerCalls); i++) await run(i);
  for (let i = 0; i < input.perRound; i++) reference(i);
  const handlerUs: number[] = [];
  const referenceUs: number[] = [];
  for (let r = 0; r < input.rounds; r++) {
    referenceUs.push(await measure('reference', reference, input.perRound));
    handlerUs.push((await measure('handler', run, handlerCalls)) / perCall);
  }
  const events = (Math.max(50, handlerCalls) + input.rounds * handlerCalls) * perCall;
  process.stderr.write(`${JSON.stringify({ which, stubAt, handlerUs, referenceUs, sends, events })}\n`, () =>
    process.exit(0),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`, () => process.exit(1));
});
