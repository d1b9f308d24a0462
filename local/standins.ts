import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import S3rver from '@20minutes/s3rver';
import { createRequestHandler } from 'local-aws-sqs';
import { createDynaliteServer, operationOf, readBody, replayRequest, wrapRequestListener } from './dynalite';
import type { StandinEndpoints, StandinService } from './endpoints';
import { STANDIN_SERVICES } from './endpoints';
import { DynamoDbStreams } from './dynamodb-streams';
import { LocalEventBridge, type PutEventsFault, type PutEventsRequestEntry } from './eventbridge';
import { applyS3Rules, parseS3Call, s3ErrorAnswer, unchunked, type S3Call } from './s3-rules';
import { createSecretsStore, type SecretsStore } from './secrets';
import {
  applyCharacterRule,
  BATCH_REQUEST_TOO_LONG,
  batchSizeRefusal,
  errorAnswer,
  INVALID_MESSAGE_CONTENTS,
  JSON_CONTENT_TYPE,
  mergeFailed,
  parseSqsCall,
  type ErrorAnswer,
  type SqsCall,
  withVisibleCount,
} from './sqs-rules';

/**
 * The AWS stand-ins, in this process: dynalite (DynamoDB, with the emulation of
 * `local/dynalite.ts` in front), local-aws-sqs (SQS, with the batch size and character rules of
 * `local/sqs-rules.ts` in front; chosen over fauxqs, see docs/local-stack.md), s3rver (S3, with
 * the rules of `local/s3-rules.ts` in front), a small Secrets Manager and EventBridge. Each speaks its service's wire protocol on
 * its own port, so SDK clients and the AWS CLI reach them with an endpoint URL.
 */

/** A port that is already taken: names the service and how to choose another port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly service: string,
    readonly port: number,
    hint: string,
  ) {
    super(`port ${port} for the ${service} is already in use (another local stack still running?); ${hint}`);
  }
}

export interface ListeningServer {
  readonly server: Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Listens on `port` (0 = a free one) and turns EADDRINUSE into a {@link PortInUseError}.
 * `close` drops keep-alive connections too, so nothing outlives a stop.
 */
export function listen(
  server: Server,
  port: number,
  host: string,
  service: string,
  hint: string,
): Promise<ListeningServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(service, port, hint) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const actual = (server.address() as AddressInfo).port;
      resolve({
        server,
        port: actual,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** Port of each stand-in. @default 0 (a free port) for each */
export type StandinPorts = { readonly [S in StandinService]?: number };

export interface StandinOptions {
  readonly ports?: StandinPorts;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly region: string;
  readonly accountId: string;
  /**
   * DynamoDB data directory, in memory when absent; S3 objects are kept in its `s3/` folder, in
   * a temporary directory removed on stop when absent.
   */
  readonly dataDir?: string;
  /** How to pick another port, appended to port errors (e.g. the CLI flag). */
  readonly portHint?: (service: StandinService) => string;
}

export interface Standins {
  /** Endpoint URL of each stand-in, by service (see `endpoints.ts`). */
  readonly endpoints: StandinEndpoints;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly secretsManagerEndpoint: string;
  readonly s3Endpoint: string;
  /** Creates a bucket in the S3 stand-in (a bucket that exists already is kept, with its objects). */
  createBucket(name: string): Promise<void>;
  readonly secrets: SecretsStore;
  /** The streams of the DynamoDB stand-in's tables (enabled by the table resources). */
  readonly streams: DynamoDbStreams;
  /** The EventBridge stand-in: its buses and rules. */
  readonly eventbridge: LocalEventBridge;
  /** Fault injection, for fault tests; inert unless used. */
  readonly faults: StandinFaults;
  stop(): Promise<void>;
}

/** What a DynamoDB fault hook does with one request: answer it with an error, or never answer it. */
export type DynamoDbFault =
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message: string }
  | { readonly kind: 'hang' };

/** One DynamoDB request as a fault hook sees it. */
export interface DynamoDbRequest {
  /** From `X-Amz-Target`, e.g. `UpdateItem`. */
  readonly operation: string;
  /** The JSON request body, as text. */
  readonly body: string;
}

/**
 * What an SQS fault hook does with one request: answer it late (then normally, so a message sent
 * is still stored, as SQS may have stored it before a client gave up), never answer it, or answer
 * it with an error.
 */
export type SqsFault =
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hang' }
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message: string };

/** What an S3 fault hook does with one request: answer it with an error, or never answer it. */
export type S3Fault =
  | { readonly kind: 'error'; readonly status: number; readonly code: string; readonly message: string }
  | { readonly kind: 'hang' };

/** One S3 request as a fault hook sees it: its method, bucket and key (`local/s3-rules.ts`). */
export type S3Request = S3Call;

/** One SQS request as a fault hook sees it: its action, queue and messages (`local/sqs-rules.ts`). */
export type SqsRequest = SqsCall;

/**
 * Local-only fault injection, for tests of what the pipeline does when AWS misbehaves. Nothing
 * here runs unless a test asks: with no hook set, requests go straight to the stand-ins.
 */
export interface StandinFaults {
  /**
   * Consulted before the DynamoDB stand-in serves each request: return a fault to inject it,
   * `undefined` to serve the request normally.
   */
  dynamodb?: (request: DynamoDbRequest) => DynamoDbFault | undefined;
  /**
   * Consulted before the SQS stand-in serves each request (after SQS's character rule, so a
   * refused message never reaches it): return a fault to inject it, `undefined` to serve it.
   */
  sqs?: (request: SqsRequest) => SqsFault | undefined;
  /** Stops the SQS stand-in as a crashed service would (connections refused, open ones dropped); queues and messages are kept. */
  stopSqs(): Promise<void>;
  /** Starts the stopped SQS stand-in again on the same port. */
  startSqs(): Promise<void>;
  /**
   * Consulted on every PutEvents call of the EventBridge stand-in: return a fault to fail the
   * call or refuse some of its entries (`FailedEntryCount`), `undefined` to serve it normally.
   */
  eventbridge?: (entries: readonly PutEventsRequestEntry[]) => PutEventsFault | undefined;
  /**
   * Consulted before the S3 stand-in serves each request (after S3's rules, so a refused request
   * never reaches it): return a fault to inject it, `undefined` to serve it.
   */
  s3?: (request: S3Request) => S3Fault | undefined;
}

/**
 * Puts the fault hook in front of the DynamoDB stand-in's request handler (itself dynalite behind
 * the emulation of `local/dynalite.ts`, whose own reads the hook never sees). A request the hook
 * lets through has had its body read already, so the handler gets a request replaying that body.
 */
function withDynamoDbFaults(serve: RequestListener, faults: StandinFaults): RequestListener {
  return (req, res) => {
    const hook = faults.dynamodb;
    if (!hook) {
      serve(req, res);
      return;
    }
    void readBody(req).then(
      (body) => {
        const fault = hook({ operation: operationOf(req.headers), body: body.toString('utf8') });
        if (fault?.kind === 'hang') return;
        if (fault) {
          res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: fault.message }));
          return;
        }
        serve(replayRequest(req, body), res);
      },
      (err: unknown) => res.destroy(err instanceof Error ? err : undefined),
    );
  };
}

function send(res: ServerResponse, answer: ErrorAnswer): void {
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/**
 * Puts SQS's character rule (`local/sqs-rules.ts`), which local-aws-sqs does not enforce, and
 * the SQS fault hook in front of the stand-in's request handler.
 */
function withSqsRules(
  serve: RequestListener,
  faults: StandinFaults,
  inFlight: (queueUrl: string | undefined) => number,
): RequestListener {
  const answerFault = async (call: SqsCall, res: ServerResponse): Promise<boolean> => {
    const fault = faults.sqs?.(call);
    if (!fault) return false;
    if (fault.kind === 'hang') return true;
    if (fault.kind === 'error') {
      send(res, { ...errorAnswer(call.protocol, fault.code, fault.message, randomUUID()), status: fault.status });
      return true;
    }
    // Unref'd: a stopping stack does not wait for a delayed answer nobody will read.
    await new Promise((done) => setTimeout(done, fault.ms).unref());
    return false;
  };
  return (req, res) => {
    void readBody(req)
      .then(async (body) => {
        const call = parseSqsCall(req.headers, body);
        const tooLong = batchSizeRefusal(call);
        if (tooLong !== undefined) {
          send(res, errorAnswer(call.protocol, BATCH_REQUEST_TOO_LONG, tooLong, randomUUID()));
          return;
        }
        const decision = applyCharacterRule(call);
        if (decision.kind === 'refuse') {
          send(res, errorAnswer(call.protocol, INVALID_MESSAGE_CONTENTS, decision.message, randomUUID()));
          return;
        }
        if (decision.kind === 'all-failed') {
          res.writeHead(200, { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-requestid': randomUUID() });
          res.end(JSON.stringify({ Failed: decision.failed }));
          return;
        }
        if (await answerFault(call, res)) return;
        if (decision.kind === 'partial') {
          // local-aws-sqs answers with one `end(text)`: the refused entries join its `Failed` list there.
          const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
          res.end = ((chunk?: unknown) =>
            end(typeof chunk === 'string' ? mergeFailed(chunk, decision.failed) : chunk)) as typeof res.end;
          serve(replayRequest(req, decision.body), res);
          return;
        }
        if (call.operation === 'GetQueueAttributes') {
          const taken = inFlight(call.queueUrl);
          const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
          res.end = ((chunk?: unknown) =>
            end(typeof chunk === 'string' ? withVisibleCount(chunk, call.protocol, taken) : chunk)) as typeof res.end;
        }
        serve(replayRequest(req, body), res);
      })
      .catch((err: unknown) => res.destroy(err instanceof Error ? err : undefined));
  };
}

/** Where a stand-in listens, and how a port error says to choose another. */
interface ListenSettings {
  readonly host: string;
  readonly port: (service: StandinService) => number;
  readonly hint: (service: StandinService) => string;
}

function listenAs(server: Server, service: StandinService, settings: ListenSettings): Promise<ListeningServer> {
  return listen(
    server,
    settings.port(service),
    settings.host,
    `${STANDIN_SERVICES[service].label} stand-in`,
    settings.hint(service),
  );
}

async function startDynamoDb(
  options: StandinOptions,
  faults: StandinFaults,
  settings: ListenSettings,
  streams: DynamoDbStreams,
): Promise<ListeningServer> {
  const server = createDynaliteServer({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    onWrite: streams.recordWrite,
  });
  wrapRequestListener(server, (serve) => withDynamoDbFaults(serve, faults));
  return listenAs(server, 'dynamodb', settings);
}

async function startSqs(
  options: StandinOptions,
  faults: StandinFaults,
  settings: ListenSettings,
): Promise<ListeningServer> {
  // The request handler needs the final port for the queue URLs it hands out, so the server
  // listens first and the handler is bound after.
  const route: { handler?: RequestListener } = {};
  const server = createServer((req, res) => {
    if (route.handler) route.handler(req, res);
    else res.writeHead(503).end();
  });
  const sqs = await listenAs(server, 'sqs', settings);
  try {
    const { service, requestHandler } = createRequestHandler({
      port: sqs.port,
      hostname: settings.host,
      region: options.region,
      accountId: options.accountId,
      // A local stack is recreated often; AWS's 60 s wait before reusing a queue name only gets in the way.
      emulateQueueCreationLifecycle: false,
    });
    service.PORT = sqs.port;
    // The queue's in-flight count before the stand-in answers: what its visible count must lose.
    const inFlight = (queueUrl: string | undefined): number => {
      const name = queueUrl?.split('/').pop();
      const queue = service.Queues.find((q) => q.QueueName === name);
      return Number(
        queue?.getAttributes(['ApproximateNumberOfMessagesNotVisible'])?.['ApproximateNumberOfMessagesNotVisible'] ?? 0,
      );
    };
    route.handler = withSqsRules((req, res) => void requestHandler(req, res), faults, inFlight);
    // Stopping closes the listener only: the queues live in `service`, so they survive a restart.
    faults.stopSqs = () =>
      new Promise<void>((done) => {
        if (!server.listening) return done();
        server.close(() => done());
        server.closeAllConnections();
      });
    faults.startSqs = () =>
      new Promise<void>((done, fail) => {
        if (server.listening) return done();
        server.once('error', fail);
        server.listen(sqs.port, settings.host, () => {
          server.off('error', fail);
          done();
        });
      });
  } catch (err: unknown) {
    await sqs.close();
    throw err;
  }
  return sqs;
}

/**
 * The request as s3rver (Koa) reads it after its body was read here: the same socket and
 * headers, the body replayed (decoded when it came `aws-chunked`).
 */
function replayToS3(req: IncomingMessage, headers: IncomingMessage['headers'], body: Buffer): IncomingMessage {
  const replay = Object.assign(Readable.from([body], { objectMode: false }), {
    headers,
    method: req.method,
    url: req.url,
    socket: req.socket,
    connection: req.socket,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
  });
  // Koa reads only these members and the stream of its request.
  return replay as unknown as IncomingMessage;
}

/**
 * Puts S3's rules (`local/s3-rules.ts`), which s3rver does not enforce, and the S3 fault hook in
 * front of the stand-in. The credentials are dropped: s3rver knows one access key only, and the
 * other stand-ins accept any.
 */
function withS3Rules(serve: RequestListener, faults: StandinFaults): RequestListener {
  return (req, res) => {
    void readBody(req)
      .then((raw) => {
        const call = parseS3Call(req.method ?? 'GET', req.url ?? '/');
        const plain = unchunked(req.headers, raw);
        const answer = plain
          ? applyS3Rules(call, plain.headers, plain.body)
          : s3ErrorAnswer(400, 'IncompleteBody', 'The request body terminated unexpectedly');
        const fault = answer ? undefined : faults.s3?.(call);
        if (fault?.kind === 'hang') return;
        const error = answer ?? (fault ? s3ErrorAnswer(fault.status, fault.code, fault.message) : undefined);
        if (error || !plain) {
          res.writeHead(error?.status ?? 400, error?.headers).end(error?.body);
          return;
        }
        const { authorization: _credentials, ...headers } = plain.headers;
        serve(replayToS3(req, headers, plain.body), res);
      })
      .catch((err: unknown) => res.destroy(err instanceof Error ? err : undefined));
  };
}

/** The S3 stand-in: s3rver on a folder of its own, behind {@link withS3Rules}. */
async function startS3(
  options: StandinOptions,
  faults: StandinFaults,
  settings: ListenSettings,
): Promise<{ server: ListeningServer; createBucket: (name: string) => Promise<void> }> {
  const kept = options.dataDir !== undefined;
  const directory = kept ? path.join(options.dataDir ?? '', 's3') : mkdtempSync(path.join(tmpdir(), 'volt-s3-'));
  mkdirSync(directory, { recursive: true });
  const s3rver = new S3rver({ directory, silent: true, allowMismatchedSignatures: true, vhostBuckets: false });
  let server: ListeningServer;
  try {
    server = await listenAs(createServer(withS3Rules(s3rver.callback(), faults)), 's3', settings);
  } catch (err: unknown) {
    if (!kept) rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    server: {
      ...server,
      close: async () => {
        await server.close();
        if (!kept) rmSync(directory, { recursive: true, force: true });
      },
    },
    createBucket: async (name) => {
      await s3rver.store.putBucket(name);
    },
  };
}

export async function startStandins(options: StandinOptions): Promise<Standins> {
  const settings: ListenSettings = {
    host: options.host ?? '127.0.0.1',
    port: (service) => options.ports?.[service] ?? 0,
    hint: options.portHint ?? ((service) => `choose another ${service} port, or 0 for a free one`),
  };
  const started: ListeningServer[] = [];
  const stopAll = async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  };
  try {
    const faults: StandinFaults = {
      stopSqs: () => Promise.reject(new Error('the SQS stand-in is not running yet')),
      startSqs: () => Promise.reject(new Error('the SQS stand-in is not running yet')),
    };
    const streams = new DynamoDbStreams(options.region);
    const dynamodb = await startDynamoDb(options, faults, settings, streams);
    started.push(dynamodb);
    const sqs = await startSqs(options, faults, settings);
    started.push(sqs);
    const secrets = createSecretsStore({ region: options.region, accountId: options.accountId });
    const secretsManager = await listenAs(createServer(secrets.handler), 'secretsManager', settings);
    started.push(secretsManager);

    const eventbridge = new LocalEventBridge({ region: options.region, accountId: options.accountId });
    eventbridge.fault = (entries) => faults.eventbridge?.(entries);
    const eventbridgeServer = await listenAs(createServer(eventbridge.handler), 'eventbridge', settings);
    started.push(eventbridgeServer);
    const s3 = await startS3(options, faults, settings);
    started.push(s3.server);

    const endpoints: StandinEndpoints = {
      sqs: sqs.url,
      dynamodb: dynamodb.url,
      secretsManager: secretsManager.url,
      eventbridge: eventbridgeServer.url,
      s3: s3.server.url,
    };
    return {
      endpoints,
      dynamodbEndpoint: endpoints.dynamodb,
      sqsEndpoint: endpoints.sqs,
      secretsManagerEndpoint: endpoints.secretsManager,
      s3Endpoint: endpoints.s3,
      createBucket: s3.createBucket,
      secrets,
      streams,
      eventbridge,
      faults,
      stop: stopAll,
    };
  } catch (err: unknown) {
    await stopAll();
    throw err;
  }
}
