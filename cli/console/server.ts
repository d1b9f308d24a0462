import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isE164 } from '../../lambda/common/formats';
import { CliError, UsageError } from '../command';
import { checkMessageId, parseE164, parseLimit, parseTimeArg, type TimeRange } from '../message-queries';
import { describeFailure } from '../stack-context';
import type { ConsoleAssets } from './assets';
import type { ConsoleData } from './data';

/**
 * The console's HTTP server. Bound to 127.0.0.1 only, and every request must carry the token
 * printed in the URL (first as `?token=`, which is swapped for an HttpOnly, SameSite=Strict
 * cookie), so other users, other local processes and other pages in the browser cannot read it.
 * A Host header other than a loopback name is refused, so a DNS-rebound page cannot reach it
 * under another name. In deployed mode it only reads; the send form exists for the local stack.
 */

export const TOKEN_COOKIE = 'volt_console';

export interface ConsoleServerOptions {
  readonly data: Pick<ConsoleData, 'messages' | 'message' | 'failures' | 'health' | 'send'> & {
    readonly ctx: { readonly kind: 'local' | 'deployed'; readonly source: string };
  };
  readonly assets: ConsoleAssets;
  /** @default 0, any free port */
  readonly port?: number;
  /** @default 32 random bytes, hex */
  readonly token?: string;
  /** @default `new Date()` */
  readonly now?: () => Date;
}

export interface ConsoleServer {
  readonly url: string;
  /** The URL with the token: what the operator opens. */
  readonly openUrl: string;
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === TOKEN_COOKIE) return value.join('=');
  }
  return undefined;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** A query parameter, undefined when absent or blank. */
function param(url: URL, name: string): string | undefined {
  const value = url.searchParams.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function rangeOf(url: URL, now: Date, defaultSince: string): Required<TimeRange> {
  const since = parseTimeArg(param(url, 'since') ?? defaultSince, 'since', now);
  const until =
    param(url, 'until') !== undefined ? parseTimeArg(param(url, 'until') ?? '', 'until', now) : now.toISOString();
  if (since >= until) throw new UsageError(`since (${since}) must be before until (${until})`);
  return { since, until };
}

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    throw new HttpError(415, 'send JSON (content-type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16_384) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new HttpError(400, 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const now = options.now ?? (() => new Date());
  const { data, assets } = options;
  const local = data.ctx.kind === 'local';
  let port = 0;

  const api = async (req: IncomingMessage, url: URL): Promise<unknown> => {
    const route = url.pathname;
    if (route === '/api/info' && req.method === 'GET')
      return { mode: data.ctx.kind, source: data.ctx.source, canSend: local };
    if (route === '/api/messages' && req.method === 'GET') {
      const contact = param(url, 'contact');
      const status = param(url, 'status');
      const direction = param(url, 'direction');
      if (direction !== undefined && direction !== 'inbound' && direction !== 'outbound')
        throw new UsageError(`direction "${direction}" is neither inbound nor outbound`);
      return data.messages({
        range: rangeOf(url, now(), '24h'),
        limit: parseLimit(param(url, 'limit') ?? '100'),
        ...(contact !== undefined ? { contact: parseE164(contact) } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(direction !== undefined ? { direction } : {}),
      });
    }
    const one = /^\/api\/messages\/([^/]+)$/.exec(route);
    if (one && req.method === 'GET') return data.message(checkMessageId(decodeURIComponent(one[1] ?? '')));
    if (route === '/api/failures' && req.method === 'GET') return data.failures(rangeOf(url, now(), '7d'));
    if (route === '/api/health' && req.method === 'GET') return data.health();
    if (route === '/api/send') {
      // Deployed mode has no write endpoint at all: the same answer as any unknown path.
      if (!local) throw new HttpError(404, 'not found');
      if (req.method !== 'POST') throw new HttpError(405, 'POST only');
      // A cross-site form cannot send this content type without a preflight, which is refused;
      // the Origin check is the second lock.
      const origin = req.headers.origin;
      if (origin !== undefined && !LOOPBACK_HOSTS.some((h) => origin === `http://${h}:${port}`))
        throw new HttpError(403, 'cross-origin request refused');
      const body = await readJsonBody(req);
      const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
      const to = field('to');
      const from = field('from');
      if (!isE164(to) || !isE164(from)) throw new UsageError('to and from must be E.164 numbers (+15555550123)');
      if (field('body') === '') throw new UsageError('the message text is empty');
      return data.send({ to, from, body: field('body') });
    }
    throw new HttpError(404, 'not found');
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // DNS rebinding: a page served as evil.example that rebinds to 127.0.0.1 still sends its own Host.
    const host = req.headers.host ?? '';
    if (!LOOPBACK_HOSTS.some((h) => host === `${h}:${port}`)) {
      send(res, 403, 'text/plain; charset=utf-8', 'Forbidden: this console answers only on 127.0.0.1/localhost\n');
      return;
    }
    const url = new URL(req.url ?? '/', `http://${host}`);
    const queryToken = url.searchParams.get('token') ?? undefined;
    if (url.pathname === '/' && req.method === 'GET' && sameToken(queryToken, token)) {
      // The token leaves the address bar (and the history) for a cookie no script can read.
      send(res, 303, 'text/plain; charset=utf-8', 'See /\n', {
        location: '/',
        'set-cookie': `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      return;
    }
    if (
      !sameToken(cookieToken(req), token) &&
      !sameToken(req.headers['x-console-token'] as string | undefined, token)
    ) {
      send(
        res,
        401,
        'text/plain; charset=utf-8',
        'Unauthorized: open the URL volt-webhooks console printed, with its token\n',
      );
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      try {
        sendJson(res, 200, await api(req, url));
      } catch (err: unknown) {
        if (err instanceof HttpError) sendJson(res, err.status, { error: err.message });
        else if (err instanceof UsageError || err instanceof SyntaxError) sendJson(res, 400, { error: err.message });
        else {
          const failure = err instanceof CliError ? err : describeFailure(err);
          sendJson(res, /^no message "/.test(failure.message) ? 404 : 502, { error: failure.message });
        }
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n');
      return;
    }
    const asset = assets.files[url.pathname === '/' ? '/index.html' : url.pathname];
    if (!asset) {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
      return;
    }
    send(res, 200, asset.type, asset.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: describeFailure(err).message });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' ? new CliError(`port ${options.port} is in use: pick another with --port`) : err,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    openUrl: `${url}?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
