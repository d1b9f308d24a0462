import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createDynaliteServer } from '../../local/dynalite';

export interface DynamoStandIn {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** A new client on the stand-in: a second consumer, with its own connections. */
  newClient(): DynamoDBClient;
  /**
   * Requests the stand-in has received from clients, by operation (`UpdateItem`, `GetItem`...).
   * The stand-in's own reads (its emulation of DynamoDB's returned items) are not counted.
   */
  requests(operation: string): number;
  close(): Promise<void>;
}

/** Starts the DynamoDB stand-in (in memory) in this process on a free port, as the local stack runs it (`local/dynalite.ts`). */
export async function startDynalite(): Promise<DynamoStandIn> {
  const server = createDynaliteServer();
  const counts = new Map<string, number>();
  // Counted at the server, so SDK retries count too: this is what DynamoDB would bill. The
  // emulation's own reads go straight to dynalite's handler, not through the server: not counted.
  server.prependListener('request', (req) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    clients.push(c);
    return c;
  };
  const client = newClient();
  return {
    endpoint,
    client,
    newClient,
    requests: (operation) => counts.get(operation) ?? 0,
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/**
 * The messages table as the MessageStore construct synthesizes it (keys, attribute types,
 * indexes, projections), as a CreateTable input, so the tests run against the deployed shape.
 * Read from a fixture rather than synthesized here: loading the CDK in every test file that needs
 * a table cost each of them seconds, and on a loaded CI machine pushed a `beforeAll` past its
 * timeout. `test/infra/lib/constructs/message-store.table-shape.test.ts` synthesizes the
 * construct and fails when the fixture no longer matches it.
 */
export function messageTableDefinition(): Omit<CreateTableCommandInput, 'TableName'> {
  return JSON.parse(readFileSync(MESSAGE_TABLE_FIXTURE, 'utf8')) as Omit<CreateTableCommandInput, 'TableName'>;
}

/** Where {@link messageTableDefinition} reads the table's shape. */
export const MESSAGE_TABLE_FIXTURE = path.join(__dirname, '..', 'fixtures', 'message-table.json');

let tableCounter = 0;

/** Creates a fresh messages table on the stand-in and returns its name. */
export async function createMessageTable(client: DynamoDBClient, prefix = 'messages'): Promise<string> {
  const tableName = `${prefix}-${process.pid}-${++tableCounter}`;
  await client.send(new CreateTableCommand({ TableName: tableName, ...messageTableDefinition() }));
  return tableName;
}
