import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The smallest servers that answer the two calls the functions make, in the services' JSON
 * protocols, so a cold-start measurement times the function and not a stand-in.
 */

export interface FakeServer {
  readonly endpoint: string;
  readonly requests: () => number;
  close(): Promise<void>;
}

function start(
  answer: (target: string, body: string) => { status: number; type: string; body: string },
): Promise<FakeServer> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const out = answer(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'));
      res.writeHead(out.status, { 'content-type': out.type, 'x-amzn-requestid': `fake-${count}` });
      res.end(out.body);
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        requests: () => count,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** SendMessage in the SQS JSON protocol; the SDK checks MD5OfMessageBody, so it is computed. */
export function startFakeSqs(): Promise<FakeServer> {
  return start((target, body) => {
    if (!target.endsWith('.SendMessage'))
      return {
        status: 400,
        type: 'application/x-amz-json-1.0',
        body: JSON.stringify({ __type: 'InvalidAction', message: target }),
      };
    const messageBody = (JSON.parse(body) as { MessageBody?: string }).MessageBody ?? '';
    return {
      status: 200,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({
        MessageId: 'fake-message-id',
        MD5OfMessageBody: createHash('md5').update(messageBody).digest('hex'),
      }),
    };
  });
}

/** UpdateItem in the DynamoDB JSON protocol: every conditional write succeeds. */
export function startFakeDynamoDb(): Promise<FakeServer> {
  return start((target) =>
    target.endsWith('.UpdateItem')
      ? { status: 200, type: 'application/x-amz-json-1.0', body: '{}' }
      : {
          status: 400,
          type: 'application/x-amz-json-1.0',
          body: JSON.stringify({ __type: 'UnknownOperationException', message: target }),
        },
  );
}
