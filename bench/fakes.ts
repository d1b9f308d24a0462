import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { FAKE_HOST } from './tls';

/**
 * The smallest servers that answer the two calls the functions make, in the services' JSON
 * protocols, so a cold-start measurement times the function and not a stand-in. Served over
 * HTTPS when given a certificate (as AWS's endpoints are), else over plain HTTP.
 */

/** Key and certificate (PEM) for an HTTPS fake. */
export interface FakeTls {
  readonly key: string;
  readonly cert: string;
}

export interface FakeServer {
  readonly endpoint: string;
  readonly requests: () => number;
  close(): Promise<void>;
}

function start(
  answer: (target: string, body: string) => { status: number; type: string; body: string },
  tls: FakeTls | undefined,
): Promise<FakeServer> {
  let count = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      count++;
      const out = answer(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'));
      res.writeHead(out.status, { 'content-type': out.type, 'x-amzn-requestid': `fake-${count}` });
      res.end(out.body);
    });
  };
  const server = tls ? createTlsServer({ key: tls.key, cert: tls.cert }, onRequest) : createServer(onRequest);
  // The warm runs pause a connection while other handlers take their turn: keep it open, as AWS
  // does for far longer than Node's 5 s default, so no turn pays a new TLS handshake.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, FAKE_HOST, () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `${tls ? 'https' : 'http'}://${FAKE_HOST}:${port}`,
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

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/**
 * SendMessage and SendMessageBatch in the SQS JSON protocol, every message accepted; the SDK
 * checks MD5OfMessageBody, so it is computed.
 */
export function startFakeSqs(tls?: FakeTls): Promise<FakeServer> {
  const json = (body: unknown) => ({ status: 200, type: 'application/x-amz-json-1.0', body: JSON.stringify(body) });
  return start((target, body) => {
    if (target.endsWith('.SendMessage'))
      return json({
        MessageId: 'fake-message-id',
        MD5OfMessageBody: md5((JSON.parse(body) as { MessageBody?: string }).MessageBody ?? ''),
      });
    if (target.endsWith('.SendMessageBatch'))
      return json({
        Successful: ((JSON.parse(body) as { Entries?: { Id: string; MessageBody?: string }[] }).Entries ?? []).map(
          (e) => ({ Id: e.Id, MessageId: `fake-${e.Id}`, MD5OfMessageBody: md5(e.MessageBody ?? '') }),
        ),
      });
    return {
      status: 400,
      type: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: 'InvalidAction', message: target }),
    };
  }, tls);
}

/** UpdateItem in the DynamoDB JSON protocol: every conditional write succeeds. */
export function startFakeDynamoDb(tls?: FakeTls): Promise<FakeServer> {
  return start(
    (target) =>
      target.endsWith('.UpdateItem')
        ? { status: 200, type: 'application/x-amz-json-1.0', body: '{}' }
        : {
            status: 400,
            type: 'application/x-amz-json-1.0',
            body: JSON.stringify({ __type: 'UnknownOperationException', message: target }),
          },
    tls,
  );
}
