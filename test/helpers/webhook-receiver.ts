import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got, with its raw body bytes. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** Status the receiver answered. */
  readonly status: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>/webhooks`. */
  readonly url: string;
  /** Same server, another path: a second "deployment" of the endpoint. */
  urlFor(path: string): string;
  readonly requests: ReceivedRequest[];
  /** Requests carrying a signature header (the simulator's deliveries and test requests). */
  signed(): ReceivedRequest[];
  /** Decides the status of each request; the default answers 200. */
  respondWith(decide: (request: Omit<ReceivedRequest, 'status'>, index: number) => number): void;
  close(): Promise<void>;
}

/** A tiny HTTP server standing in for the webhook endpoint, on a free port. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  let decide: (request: Omit<ReceivedRequest, 'status'>, index: number) => number = () => 200;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const base = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      const status = decide(base, requests.length);
      requests.push({ ...base, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks`,
    urlFor: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    signed: () => requests.filter((r) => r.headers['x-respond-flow-signature'] !== undefined),
    respondWith: (fn) => {
      decide = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
