import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatorStartError } from './errors';

const MAX_REQUEST_BYTES = 1024 * 1024;

/** One endpoint: a method (any when absent) and a path, or with `prefix` every path under it. */
export interface Route {
  readonly method?: string;
  readonly path: string;
  readonly prefix?: boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> | void;
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Resolves once the server listens; a taken port is a {@link SimulatorStartError} that says so. */
export async function listen(port: number, host: string): Promise<http.Server> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use; pick another port, or 0 for a free one'
          : `cannot be listened on (${err.code ?? err.message})`;
      reject(new SimulatorStartError(`Volt simulator: port ${port} on ${host} ${why}`));
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** The URL a client on this machine reaches the server at: a wildcard address is reached on loopback. */
export function baseUrlOf(server: http.Server): { url: string; port: number } {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const reachable = host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host;
  return { url: `http://${reachable}:${address.port}`, port: address.port };
}

function matches(route: Route, method: string | undefined, path: string): boolean {
  if (route.method !== undefined && route.method !== method) return false;
  return route.prefix ? path.startsWith(route.path) : path === route.path;
}

async function dispatch(routes: readonly Route[], req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://simulator').pathname;
  const route = routes.find((r) => matches(r, req.method, path));
  if (!route) return sendJson(res, 404, { error: `no route ${req.method ?? ''} ${path}` });
  await route.handle(req, res, path);
}

/** Answers each request with the first route that matches it, 404 when none does, 500 when one throws. */
export function serveRoutes(server: http.Server, routes: readonly Route[]): void {
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    dispatch(routes, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
}

/** Stops listening and drops open connections, so a keep-alive client cannot hold the process. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** A liveness check for scripts waiting on the simulator. */
export const HEALTH_ROUTE: Route = {
  method: 'GET',
  path: '/health',
  handle: (_req, res) => sendJson(res, 200, { ok: true }),
};
