import dynalite from 'dynalite';
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

/**
 * The DynamoDB stand-in: dynalite, with what it lacks of DynamoDB's wire behaviour emulated in
 * front of its request listener. The local stack (`local/standins.ts`), the tests
 * (`test/helpers/dynalite.ts`) and the writes benchmark all start it through here, so they all
 * see the same behaviour.
 *
 * Emulated: `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` on UpdateItem, PutItem and
 * DeleteItem. dynalite 4 drops the parameter while checking types, so a refused condition
 * answers a bare `ConditionalCheckFailedException`; DynamoDB puts the item the condition was
 * evaluated against in that error body, as `Item` in DynamoDB JSON (next to `message`), and the
 * SDK v3 exposes it as the exception's `Item`.
 */

export interface DynaliteOptions {
  /** LevelDB directory; in memory when absent. */
  readonly dataDir?: string;
}

/** Starts nothing: returns dynalite's server, emulation in front, for the caller to `listen`. Tables go ACTIVE at once. */
export function createDynaliteServer(options: DynaliteOptions = {}): Server {
  // The 500 ms CREATING state of dynalite's default only slows a local start and every test.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
  });
  wrapRequestListener(server, withConditionCheckItems);
  return server;
}

/** Puts `wrap(listener)` in place of the server's one request listener: how each layer is added in front of dynalite. */
export function wrapRequestListener(server: Server, wrap: (serve: RequestListener) => RequestListener): void {
  const listeners = server.listeners('request') as RequestListener[];
  const serve = listeners[0];
  if (listeners.length !== 1 || !serve)
    throw new Error(`expected dynalite's server to have one request listener, found ${listeners.length}`);
  server.removeAllListeners('request');
  server.on('request', wrap(serve));
}

/** The operation named by `X-Amz-Target`, e.g. `UpdateItem`. */
export function operationOf(headers: IncomingHttpHeaders): string {
  return (
    String(headers['x-amz-target'] ?? '')
      .split('.')
      .pop() ?? ''
  );
}

/** A request that replays an already read body, for a listener that reads the body itself. */
export function replayRequest(req: Pick<IncomingMessage, 'headers' | 'method' | 'url'>, body: Buffer): IncomingMessage {
  const replay = Object.assign(Readable.from([body], { objectMode: false }), {
    headers: req.headers,
    method: req.method,
    url: req.url,
  });
  // dynalite reads only these members (and the stream events) of its request.
  return replay as unknown as IncomingMessage;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** dynalite's answer to one request, captured instead of sent. */
interface Answer {
  readonly status: number;
  /** In the order and spelling dynalite set them; a later value for the same name replaced the earlier. */
  readonly headers: ReadonlyMap<string, readonly [name: string, value: number | string | readonly string[]]>;
  readonly body: string;
}

/** Runs dynalite's listener on `req` with a response that only records what it is given. */
function captureAnswer(serve: RequestListener, req: IncomingMessage): Promise<Answer> {
  return new Promise((resolve) => {
    const headers = new Map<string, readonly [string, number | string | readonly string[]]>();
    const res = {
      statusCode: 200,
      setHeader(name: string, value: number | string | readonly string[]) {
        headers.set(name.toLowerCase(), [name, value]);
        return res;
      },
      end(chunk?: string | Buffer) {
        resolve({ status: res.statusCode, headers, body: chunk === undefined ? '' : chunk.toString() });
        return res;
      },
    };
    // dynalite's handler uses only `statusCode`, `setHeader` and `end` (and sets a `contentType` field).
    serve(req, res as unknown as ServerResponse);
  });
}

function sendAnswer(res: ServerResponse, answer: Answer): void {
  res.statusCode = answer.status;
  for (const [name, value] of answer.headers.values()) res.setHeader(name, value);
  res.end(answer.body);
}

/** The same answer with a new JSON body; length and checksum follow, as dynalite computes them. */
function withBody(answer: Answer, body: unknown): Answer {
  const text = JSON.stringify(body);
  const headers = new Map(answer.headers);
  headers.set('content-length', [headers.get('content-length')?.[0] ?? 'Content-Length', Buffer.byteLength(text)]);
  headers.set('x-amz-crc32', [headers.get('x-amz-crc32')?.[0] ?? 'x-amz-crc32', crc32(text)]);
  return { ...answer, headers, body: text };
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Sends one request of the stand-in's own straight to dynalite's listener: not through the server, so no hook or counter sees it. */
async function internalCall(
  serve: RequestListener,
  headers: IncomingHttpHeaders,
  operation: string,
  input: unknown,
): Promise<Record<string, unknown> | undefined> {
  const req = replayRequest(
    {
      headers: { ...headers, 'x-amz-target': `DynamoDB_20120810.${operation}`, 'content-length': undefined },
      method: 'POST',
      url: '/',
    },
    Buffer.from(JSON.stringify(input)),
  );
  const answer = await captureAnswer(serve, req);
  return answer.status === 200 ? parseObject(answer.body) : undefined;
}

/** The item's key, from the request: `Key` (UpdateItem, DeleteItem), or the table's key attributes of `Item` (PutItem). */
async function keyOf(
  serve: RequestListener,
  headers: IncomingHttpHeaders,
  request: Record<string, unknown>,
): Promise<unknown> {
  if (request['Key'] !== undefined) return request['Key'];
  const item = request['Item'];
  if (typeof item !== 'object' || item === null) return undefined;
  const described = await internalCall(serve, headers, 'DescribeTable', { TableName: request['TableName'] });
  const schema = (described?.['Table'] as { KeySchema?: { AttributeName: string }[] } | undefined)?.KeySchema;
  if (!schema) return undefined;
  return Object.fromEntries(
    schema.map(({ AttributeName }) => [AttributeName, (item as Record<string, unknown>)[AttributeName]]),
  );
}

const RETURNS_ITEM_ON_REFUSAL = new Set(['UpdateItem', 'PutItem', 'DeleteItem']);

/**
 * Emulates `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`: when dynalite refuses such a
 * request's condition, the item is read (GetItem, consistent) through dynalite's own listener and
 * added to the error body as `Item`; when there is no item, the body stays as it is, as in
 * DynamoDB. Requests without the parameter, and every other operation, pass straight through.
 *
 * Not atomic, unlike DynamoDB: the item is read just after dynalite released it, so a write of
 * another client that lands in between shows in the returned item. That is safe for this
 * project's use. The consumer reads only `appliedIds` and the length of `history` from it, to
 * skip a history write its condition would refuse (`guardRefusal` in
 * `lambda/consumer/state-rules.ts`). Ids are only ever added to `appliedIds` and entries only
 * appended to `history` (nothing here deletes items: dynalite does not expire them), so a later
 * read can only show more applied ids and a longer history, never fewer: the skipped write would
 * be evaluated later still, against a version that refuses it too. Skipping it is still right.
 * An emulated item newer than DynamoDB's would matter to a caller that rewrites what it reads;
 * none does here.
 */
export function withConditionCheckItems(serve: RequestListener): RequestListener {
  return (req, res) => {
    if (!RETURNS_ITEM_ON_REFUSAL.has(operationOf(req.headers))) {
      serve(req, res);
      return;
    }
    readBody(req)
      .then(async (body) => {
        const request = parseObject(body.toString('utf8'));
        const replay = replayRequest(req, body);
        if (request?.['ReturnValuesOnConditionCheckFailure'] !== 'ALL_OLD') {
          serve(replay, res);
          return;
        }
        const answer = await captureAnswer(serve, replay);
        const error = answer.status === 400 ? parseObject(answer.body) : undefined;
        if (!String(error?.['__type'] ?? '').endsWith('#ConditionalCheckFailedException')) {
          sendAnswer(res, answer);
          return;
        }
        const key = await keyOf(serve, req.headers, request);
        const current =
          key === undefined
            ? undefined
            : await internalCall(serve, req.headers, 'GetItem', {
                TableName: request['TableName'],
                Key: key,
                ConsistentRead: true,
              });
        const item = current?.['Item'];
        sendAnswer(res, item === undefined ? answer : withBody(answer, { ...error, Item: item }));
      })
      .catch((err: unknown) => {
        // Only a broken connection gets here: there is no one left to answer.
        res.destroy(err instanceof Error ? err : new Error(String(err)));
      });
  };
}
