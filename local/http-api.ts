import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { FunctionError, type LocalFunction } from './lambda-runtime';

/**
 * An API Gateway HTTP API, locally: routes from the template, Lambda proxy integrations with
 * payload format 2.0, and API Gateway's own answers (404 for an unknown route, 500 when the
 * function fails, 413 over the 10 MB request limit, 429 over the stage's throttle).
 */

export interface HttpRoute {
  /** `POST /webhooks`, `ANY /items/{id}`, `GET /files/{proxy+}` or `$default`. */
  readonly routeKey: string;
  readonly target: LocalFunction;
}

/** What happened to one request, for the live log. */
export interface HttpRequestLog {
  readonly method: string;
  readonly path: string;
  readonly routeKey?: string;
  readonly statusCode: number;
  readonly durationMs: number;
  readonly functionName?: string;
  /** Why API Gateway answered itself (no route, function error). */
  readonly error?: string;
}

/** A stage's route throttling, as `DefaultRouteSettings` or `RouteSettings` give it. */
export interface ThrottleSettings {
  /** Tokens added per second: the steady request rate. */
  readonly rateLimit: number;
  /** The bucket's size: requests accepted at once. 0 refuses every request, as on AWS. */
  readonly burstLimit: number;
}

export interface HttpApiOptions {
  readonly apiId: string;
  /** `$default` serves at the root; another stage name is a path prefix. */
  readonly stage: string;
  readonly accountId: string;
  readonly onRequest?: (log: HttpRequestLog) => void;
  /** Every route's throttle (the stage's `DefaultRouteSettings`). @default none: no 429 */
  readonly throttle?: ThrottleSettings;
  /** Throttles of single routes, by route key (the stage's `RouteSettings`), over `throttle`. */
  readonly routeThrottles?: Readonly<Record<string, ThrottleSettings>>;
  /** Milliseconds on a monotonic clock, for the buckets; tests replace it. @default performance.now */
  readonly now?: () => number;
}

/**
 * API Gateway's throttle: a bucket of `burstLimit` tokens, refilled continuously at `rateLimit`
 * per second; a request takes one token or is answered 429. Starts full, as an idle stage is.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly settings: ThrottleSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = settings.burstLimit;
    this.last = now();
  }

  /** Takes a token if there is one. */
  tryTake(): boolean {
    const at = this.now();
    const refill = (Math.max(0, at - this.last) / 1000) * this.settings.rateLimit;
    this.tokens = Math.min(this.settings.burstLimit, this.tokens + refill);
    this.last = at;
    // Refills are fractions of a token: without the tolerance, 10 x 0.1 tokens would not make one.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens -= 1;
    return true;
  }
}

/** API Gateway's request payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

/**
 * Content types API Gateway passes as text; any other body (or a missing content type)
 * arrives base64-encoded with `isBase64Encoded: true`, so code that handles both is exercised.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript'
  );
}

interface CompiledRoute {
  readonly route: HttpRoute;
  readonly method: string;
  readonly segments: readonly string[];
  /** Higher wins: exact paths over variables over greedy variables. */
  readonly specificity: number;
}

function compile(route: HttpRoute): CompiledRoute {
  if (route.routeKey === '$default') return { route, method: 'ANY', segments: [], specificity: -1 };
  const [method, routePath] = route.routeKey.split(' ');
  if (!method || !routePath) throw new Error(`route key "${route.routeKey}" is not "<METHOD> <path>" or $default`);
  const segments = routePath.split('/').filter(Boolean);
  const specificity =
    segments.reduce((n, s) => n + (s.endsWith('+}') ? 1 : s.startsWith('{') ? 100 : 10000), 0) * 2 +
    (method === 'ANY' ? 0 : 1);
  return { route, method: method.toUpperCase(), segments, specificity };
}

function match(
  compiled: CompiledRoute,
  method: string,
  pathSegments: readonly string[],
): Record<string, string> | undefined {
  if (compiled.method !== 'ANY' && compiled.method !== method) return undefined;
  if (compiled.specificity < 0) return {};
  const params: Record<string, string> = {};
  for (let i = 0; i < compiled.segments.length; i++) {
    const pattern = compiled.segments[i] ?? '';
    const actual = pathSegments[i];
    if (pattern.startsWith('{') && pattern.endsWith('+}')) {
      if (actual === undefined) return undefined;
      params[pattern.slice(1, -2)] = pathSegments.slice(i).join('/');
      return params;
    }
    if (actual === undefined) return undefined;
    if (pattern.startsWith('{') && pattern.endsWith('}')) params[pattern.slice(1, -1)] = decodeURIComponent(actual);
    else if (pattern !== actual) return undefined;
  }
  return pathSegments.length === compiled.segments.length ? params : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_REQUEST_BYTES ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

/** Joins repeated headers with commas and lowercases names, as HTTP APIs do; cookies go to their own field. */
function eventHeaders(req: IncomingMessage): { headers: Record<string, string>; cookies: string[] } {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  return { headers, cookies };
}

interface StructuredResponse {
  statusCode: number;
  headers?: Record<string, unknown>;
  cookies?: unknown[];
  body?: unknown;
  isBase64Encoded?: boolean;
}

/** Payload 2.0 response rules: a `statusCode` makes it structured, anything else is a 200 JSON body. */
function toHttpResponse(value: unknown): { status: number; headers: Record<string, string | string[]>; body: Buffer } {
  if (value !== null && typeof value === 'object' && 'statusCode' in value) {
    const r = value as StructuredResponse;
    if (!Number.isInteger(r.statusCode)) throw new Error('the function returned a statusCode that is not an integer');
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (Array.isArray(r.cookies) && r.cookies.length > 0) headers['set-cookie'] = r.cookies.map(String);
    const text =
      r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
    return {
      status: r.statusCode,
      headers,
      body: r.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
    };
  }
  const body = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body, 'utf8') };
}

function errorDetail(err: unknown): string {
  if (err instanceof FunctionError) return `${err.payload.errorType}: ${err.payload.errorMessage}`;
  return err instanceof Error ? err.message : String(err);
}

export class LocalHttpApi {
  private routes: CompiledRoute[] = [];
  /** One bucket per route, as API Gateway applies route settings to each route on its own. */
  private readonly buckets = new Map<string, TokenBucket | null>();
  /** Host and port the server answers on, for `domainName` in events. */
  domainName = 'localhost';

  constructor(private readonly options: HttpApiOptions) {}

  setRoutes(routes: readonly HttpRoute[]): void {
    this.routes = routes.map(compile).sort((a, b) => b.specificity - a.specificity);
  }

  addRoute(route: HttpRoute): void {
    this.setRoutes([...this.routes.map((r) => r.route), route]);
  }

  get routeKeys(): string[] {
    return this.routes.map((r) => r.route.routeKey);
  }

  /** `false` when the route's bucket is empty: the request is answered 429. */
  private admit(routeKey: string): boolean {
    let bucket = this.buckets.get(routeKey);
    if (bucket === undefined) {
      const settings = this.options.routeThrottles?.[routeKey] ?? this.options.throttle;
      bucket = settings ? new TokenBucket(settings, this.options.now) : null;
      this.buckets.set(routeKey, bucket);
    }
    return bucket === null || bucket.tryTake();
  }

  readonly handler: RequestListener = (req, res) => {
    this.handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) this.answer(res, 500, { message: 'Internal Server Error' });
      this.options.onRequest?.({
        method: req.method ?? '?',
        path: req.url ?? '?',
        statusCode: 500,
        durationMs: 0,
        error: String(err),
      });
    });
  };

  private answer(
    res: ServerResponse,
    status: number,
    body: Record<string, unknown>,
    requestId = randomBytes(8).toString('base64url'),
  ): void {
    res.writeHead(status, { 'content-type': 'application/json', 'apigw-requestid': requestId });
    res.end(JSON.stringify(body));
  }

  /** The route for a request path under the stage, most specific first, and its path parameters. */
  private findRoute(
    method: string,
    rawPath: string,
  ): { route: CompiledRoute; params: Record<string, string> } | undefined {
    const segments = rawPath.split('/').filter(Boolean);
    for (const route of this.routes) {
      const params = match(route, method, segments);
      if (params) return { route, params };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const received = new Date();
    const requestId = randomBytes(8).toString('base64url');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://local');
    const log = (entry: Omit<HttpRequestLog, 'method' | 'path' | 'durationMs'>) =>
      this.options.onRequest?.({ method, path: url.pathname, durationMs: performance.now() - started, ...entry });

    let rawPath = url.pathname;
    if (this.options.stage !== '$default') {
      const prefix = `/${this.options.stage}`;
      if (rawPath !== prefix && !rawPath.startsWith(`${prefix}/`)) {
        this.answer(res, 404, { message: 'Not Found' }, requestId);
        return log({ statusCode: 404, error: `not under stage ${this.options.stage}` });
      }
      rawPath = rawPath.slice(prefix.length) || '/';
    }
    const found = this.findRoute(method, rawPath);
    const body = await readBody(req);
    if (!found) {
      this.answer(res, 404, { message: 'Not Found' }, requestId);
      return log({ statusCode: 404, error: 'no route matches' });
    }
    const { routeKey, target } = found.route.route;
    if (!this.admit(routeKey)) {
      // API Gateway's own answer, before the integration runs.
      this.answer(res, 429, { message: 'Too Many Requests' }, requestId);
      return log({ statusCode: 429, routeKey, error: "over the stage's throttle" });
    }
    if (body === 'too_large') {
      this.answer(res, 413, { message: 'Request Entity Too Large' }, requestId);
      return log({ statusCode: 413, routeKey, error: 'request over 10 MB' });
    }

    const event = this.eventFor(req, { url, method, routeKey, params: found.params, body, requestId, received });
    const functionName = target.definition.displayName;
    let response: ReturnType<typeof toHttpResponse>;
    try {
      const { value } = await target.invoke(event);
      response = toHttpResponse(value);
    } catch (err: unknown) {
      // API Gateway hides the function's error from the caller; the log shows it.
      this.answer(res, 500, { message: 'Internal Server Error' }, requestId);
      return log({ statusCode: 500, routeKey, functionName, error: errorDetail(err) });
    }
    res.writeHead(response.status, { ...response.headers, 'apigw-requestid': requestId });
    res.end(response.body);
    log({ statusCode: response.status, routeKey, functionName });
  }

  /** The payload 2.0 event API Gateway would pass for this request. */
  private eventFor(
    req: IncomingMessage,
    request: {
      readonly url: URL;
      readonly method: string;
      readonly routeKey: string;
      readonly params: Record<string, string>;
      readonly body: Buffer;
      readonly requestId: string;
      readonly received: Date;
    },
  ): APIGatewayProxyEventV2 {
    const { url, method, routeKey, params, body, requestId, received: now } = request;
    const { headers, cookies } = eventHeaders(req);
    const socket = req.socket;
    headers['x-forwarded-for'] = headers['x-forwarded-for']
      ? `${headers['x-forwarded-for']}, ${socket.remoteAddress ?? ''}`
      : (socket.remoteAddress ?? '');
    headers['x-forwarded-port'] = String(socket.localPort ?? '');
    headers['x-forwarded-proto'] = 'http';
    headers['x-amzn-trace-id'] =
      `Root=1-${Math.floor(now.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const text = isTextContentType(headers['content-type']);
    return {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.replace(/^\?/, ''),
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
      ...(Object.keys(params).length ? { pathParameters: params } : {}),
      requestContext: {
        accountId: this.options.accountId,
        apiId: this.options.apiId,
        domainName: headers['host'] ?? this.domainName,
        domainPrefix: (headers['host'] ?? this.domainName).split('.')[0] ?? this.options.apiId,
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: socket.remoteAddress ?? '',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey,
        stage: this.options.stage,
        time: clfTime(now),
        timeEpoch: now.getTime(),
      },
      ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !text,
    };
  }
}
