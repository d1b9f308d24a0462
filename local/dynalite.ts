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
 *
 * Enforced as DynamoDB does (see `enforceDynamoDbSizes`): the 400 KB item size and the key sizes
 * counted in UTF-8 bytes, and the key size limits of secondary indexes, which dynalite does not check.
 */

export interface DynaliteOptions {
  /** LevelDB directory; in memory when absent. */
  readonly dataDir?: string;
  /**
   * Told of every write dynalite commits: the table, the item before and after (either absent
   * for an insert or a delete), under dynalite's lock on the item, so in the order the writes
   * applied. What `local/dynamodb-streams.ts` makes stream records of.
   */
  readonly onWrite?: WriteListener;
}

/** See {@link DynaliteOptions.onWrite}. */
export type WriteListener = (
  table: { readonly TableName: string; readonly KeySchema: readonly { readonly AttributeName: string }[] },
  before: Readonly<Record<string, unknown>> | undefined,
  after: Readonly<Record<string, unknown>> | undefined,
) => void;

/** Where a server's write listener rides: on the options object dynalite keeps as `store.options`. */
const WRITE_LISTENER = Symbol.for('volt-webhooks.dynalite.onWrite');

/** Starts nothing: returns dynalite's server, emulation in front, for the caller to `listen`. Tables go ACTIVE at once. */
export function createDynaliteServer(options: DynaliteOptions = {}): Server {
  // The 500 ms CREATING state of dynalite's default only slows a local start and every test.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.dataDir ? { path: options.dataDir } : {}),
    ...(options.onWrite ? { [WRITE_LISTENER]: options.onWrite } : {}),
  });
  enforceDynamoDbSizes();
  reportWrites();
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

// --- Sizes, as DynamoDB counts them -------------------------------------------------------

/** Largest item DynamoDB stores: 400 KB, attribute names included. */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Largest partition key value, of the table or of an index. */
export const MAX_PARTITION_KEY_BYTES = 2048;
/** Largest sort key value, of the table or of an index. */
export const MAX_SORT_KEY_BYTES = 1024;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Bytes of a number: one per two significant digits, plus one (leading and trailing zeros do not count). */
function numberSize(text: string): number {
  const mantissa = text.replace(/^[+-]/, '').replace(/e.*$/i, '');
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return digits === '' ? 1 : Math.ceil(digits.length / 2) + 1;
}

/** Bytes of one attribute value in DynamoDB JSON (`{S: ...}`, `{L: [...]}`, ...), without its name. */
export function attributeValueSize(value: unknown): number {
  if (!isRecord(value)) return 0;
  const [type, v] = Object.entries(value)[0] ?? [];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v), 'utf8');
    case 'N':
      return numberSize(String(v));
    case 'B':
      return Buffer.from(String(v), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
      return (v as string[]).reduce((n, x) => n + Buffer.byteLength(x, 'utf8'), 0);
    case 'NS':
      return (v as string[]).reduce((n, x) => n + numberSize(x), 0);
    case 'BS':
      return (v as string[]).reduce((n, x) => n + Buffer.from(x, 'base64').length, 0);
    case 'L':
      // 3 bytes for the list, 1 per element.
      return 3 + (v as unknown[]).reduce<number>((n, x) => n + 1 + attributeValueSize(x), 0);
    case 'M':
      // 3 bytes for the map, 1 per element, whose name counts like an attribute name.
      return 3 + Object.keys(v as object).length + dynamoDbItemSize(v as Record<string, unknown>);
    default:
      return 0;
  }
}

/**
 * The size of an item as DynamoDB's developer guide defines it ("DynamoDB item sizes and
 * formats"): for each attribute, the UTF-8 bytes of its name plus the size of its value; strings
 * in UTF-8 bytes, binary in raw bytes, numbers one byte per two significant digits plus one,
 * booleans and nulls one byte, a list or map 3 bytes plus 1 per element plus the elements, a set
 * the sum of its elements. dynalite's own count takes JavaScript lengths (UTF-16 code units),
 * so a string of 1,000 CJK characters counts 1,000 there and 3,000 in DynamoDB.
 */
export function dynamoDbItemSize(item: Readonly<Record<string, unknown>>): number {
  return Object.entries(item).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name, 'utf8') + attributeValueSize(value),
    0,
  );
}

/** Bytes of a key value: UTF-8 for a string, raw bytes for binary; numbers have no size limit. */
function keyValueSize(value: unknown): number | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value['S'] === 'string') return Buffer.byteLength(value['S'], 'utf8');
  if (typeof value['B'] === 'string') return Buffer.from(value['B'], 'base64').length;
  return undefined;
}

interface KeySchemaElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}

interface TableShape {
  readonly KeySchema: readonly KeySchemaElement[];
  readonly GlobalSecondaryIndexes?: readonly { IndexName: string; KeySchema: readonly KeySchemaElement[] }[];
  readonly LocalSecondaryIndexes?: readonly { IndexName: string; KeySchema: readonly KeySchemaElement[] }[];
}

type Item = Record<string, unknown>;

/** The part of dynalite's store (one per server) its write path hands to `updateIndexes`. */
interface DynaliteStore {
  readonly options?: { readonly [WRITE_LISTENER]?: WriteListener };
}

/** The members of dynalite's `db` module that its actions call through the module object, so a replacement takes effect. */
interface DynaliteDb {
  itemSize(item: Item, ...rest: unknown[]): number;
  validateKey(key: Item, table: TableShape, keySchema?: readonly KeySchemaElement[]): Error | null | undefined;
  validateItem(item: Item, table: TableShape): Error | null | undefined;
  updateIndexes(
    store: DynaliteStore,
    table: TableShape,
    existingItem: Item | null | undefined,
    item: Item | null | undefined,
    cb: (err?: Error | null) => void,
  ): void;
  validationError(message: string): Error;
}

/** DynamoDB's message for a table key over its limit (sic: no space before 2048). */
function tableKeyError(db: DynaliteDb, item: Item, schema: readonly KeySchemaElement[]): Error | undefined {
  for (const { AttributeName, KeyType } of schema) {
    const size = keyValueSize(item[AttributeName]);
    if (size === undefined) continue;
    if (KeyType === 'HASH' && size > MAX_PARTITION_KEY_BYTES)
      return db.validationError(
        'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
      );
    if (KeyType === 'RANGE' && size > MAX_SORT_KEY_BYTES)
      return db.validationError(
        'One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes',
      );
  }
  return undefined;
}

/**
 * DynamoDB's message for an index key over its limit, for the first index `item` would be
 * written to (it has every key attribute of it: indexes are sparse) with a key that is.
 */
function indexKeyError(db: DynaliteDb, table: TableShape, item: Item): Error | undefined {
  for (const index of [...(table.GlobalSecondaryIndexes ?? []), ...(table.LocalSecondaryIndexes ?? [])]) {
    if (!index.KeySchema.every(({ AttributeName }) => item[AttributeName] !== undefined)) continue;
    for (const { AttributeName, KeyType } of index.KeySchema) {
      const size = keyValueSize(item[AttributeName]);
      const max = KeyType === 'HASH' ? MAX_PARTITION_KEY_BYTES : MAX_SORT_KEY_BYTES;
      if (size !== undefined && size > max)
        return db.validationError(
          `One or more parameter values were invalid: Size limit exceeded for Index Key ${AttributeName} ` +
            `Actual Size: ${size} bytes Max Size: ${max} bytes IndexName: ${index.IndexName}`,
        );
    }
  }
  return undefined;
}

const ENFORCED = Symbol.for('volt-webhooks.dynalite.sizes');

/**
 * Makes dynalite count sizes as DynamoDB does, by replacing members of its `db` module that its
 * actions call through the module object (once per module instance; every dynalite server of
 * the process shares it):
 * - `itemSize` (the 400 KB check of UpdateItem, PutItem, BatchWriteItem) counts UTF-8 bytes
 *   (`dynamoDbItemSize`); capacity accounting keeps dynalite's own count;
 * - `validateKey`, `validateItem` also refuse a table key over 2,048 (partition) or 1,024 (sort)
 *   UTF-8 bytes, with DynamoDB's messages; dynalite counts code units there;
 * - `updateIndexes` refuses a write that would give a secondary index a key over those limits,
 *   with DynamoDB's `Size limit exceeded for Index Key ...` message. dynalite checks no index key
 *   size at all. It runs after the condition and before anything is stored, so a refused write
 *   changes nothing, as in DynamoDB.
 */
export function enforceDynamoDbSizes(): void {
  // Through require, not import: the actions must see the replacement in the same module instance
  // (jest's registry included), and dynalite ships no types for its internals.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const db = require('dynalite/db') as DynaliteDb & { [ENFORCED]?: true };
  if (db[ENFORCED]) return;
  for (const member of ['itemSize', 'validateKey', 'validateItem', 'updateIndexes'] as const)
    if (typeof db[member] !== 'function')
      throw new Error(`dynalite's db module has no ${member}: cannot enforce sizes`);
  const { itemSize, validateKey, validateItem, updateIndexes } = db;
  db.itemSize = (item, ...rest) => (rest.length === 0 ? dynamoDbItemSize(item) : itemSize(item, ...rest));
  db.validateKey = (key, table, keySchema) =>
    validateKey(key, table, keySchema) ?? tableKeyError(db, key, keySchema ?? table.KeySchema);
  db.validateItem = (item, table) => validateItem(item, table) ?? tableKeyError(db, item, table.KeySchema);
  db.updateIndexes = (store, table, existingItem, item, cb) => {
    const refused = item ? indexKeyError(db, table, item) : undefined;
    if (refused) cb(refused);
    else updateIndexes(store, table, existingItem, item, cb);
  };
  db[ENFORCED] = true;
}

const REPORTING = Symbol.for('volt-webhooks.dynalite.writes');

/**
 * Tells each server's write listener of every write, by wrapping `updateIndexes` of dynalite's
 * `db` module (once per module instance): UpdateItem, PutItem, DeleteItem and BatchWriteItem all
 * call it under the item's lock, with the item before and after, right before they store the
 * item. The listener hears of a write once its indexes are updated, which is the last step that
 * can refuse it; only a failure of the in-memory store itself could still undo it.
 */
function reportWrites(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see enforceDynamoDbSizes
  const db = require('dynalite/db') as DynaliteDb & { [REPORTING]?: true };
  if (db[REPORTING]) return;
  const { updateIndexes } = db;
  db.updateIndexes = (store, table, existingItem, item, cb) => {
    updateIndexes(store, table, existingItem, item, (err) => {
      const listener = store.options?.[WRITE_LISTENER];
      if (!err && listener && (existingItem || item))
        listener(table as unknown as Parameters<WriteListener>[0], existingItem ?? undefined, item ?? undefined);
      cb(err);
    });
  };
  db[REPORTING] = true;
}
