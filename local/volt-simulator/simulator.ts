import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { graphql, GraphQLError, type GraphQLSchema } from 'graphql';
import { DEFAULT_SCHEME, SIGNATURE_HEADER, signBody } from '../../lambda/common/signature';
import {
  buildEvent,
  buildTestEvent,
  FAILING_RECIPIENTS,
  newEventId,
  newMessageAppId,
  newMessageId,
  newOrgPrefix,
  type FailureReason,
  type SimEventType,
  type SimMessage,
} from './events';
import { postBody, type PostResult } from './http-post';
import { buildSimulatorSchema } from './schema';
import { toOpenSshRsa } from './ssh-key';

import { DEFAULT_SIMULATOR_TOKEN } from './defaults';

export { DEFAULT_SIMULATOR_TOKEN };

/** How webhook deliveries behave. Every field can be changed while running with `setDeliveryOptions`. */
export interface DeliveryOptions {
  /** Wait before a message's first event is emitted. @default 0 */
  readonly delayMs: number;
  /** Wait between a message's `message.sent` and `message.finalized`. @default 20 */
  readonly gapMs: number;
  /** Extra copies of every successful delivery, sent right after it: same body, same event id, same signature. @default 0 */
  readonly duplicates: number;
  /** Deliver each message's `message.finalized` before its `message.sent` (their `occurred_at` stay in true order). @default false */
  readonly reorder: boolean;
  /** Attempts per delivery, the first included, until one gets a 2xx. @default 5 */
  readonly maxAttempts: number;
  /** Wait before the first retry; doubled for each further retry. @default 200 */
  readonly retryBaseMs: number;
  /** How long one attempt waits for the receiver's answer. @default 2000 (Volt expects an answer in about 2 s) */
  readonly timeoutMs: number;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = {
  delayMs: 0,
  gapMs: 20,
  duplicates: 0,
  reorder: false,
  maxAttempts: 5,
  retryBaseMs: 200,
  timeoutMs: 2000,
};

/**
 * A fault for the next GraphQL request, consumed in order by `injectApiFaults`: an HTTP status
 * answered instead of the GraphQL result (e.g. 429, 500, 503), extra latency, or a dropped connection.
 */
export interface ApiFault {
  /** Answer with this status and no GraphQL result. */
  readonly status?: number;
  /** `Retry-After` header sent with `status`. */
  readonly retryAfterSeconds?: number;
  /** Wait this long before handling the request (or answering with `status`). */
  readonly latencyMs?: number;
  /** Destroy the connection without an answer (a network error for the client). */
  readonly reset?: boolean;
}

/** A webhook registration, as the `webhooks` query returns it. */
export interface SimWebhook {
  readonly id: string;
  readonly url: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly primaryPhone: string | null;
  readonly eventTypes: readonly string[] | null;
}

/** One POST to a receiver (a delivery attempt, a duplicate copy, or a registration's test request). */
export interface DeliveryRecord {
  readonly kind: 'event' | 'duplicate' | 'test';
  readonly url: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly status?: number;
  readonly error?: string;
  readonly ok: boolean;
  readonly at: string;
}

/** What the simulator reports to `on(listener)`, e.g. for a local runner's console. */
export type SimulatorEvent =
  | { readonly type: 'webhook.registered'; readonly webhook: SimWebhook }
  | { readonly type: 'webhook.deleted'; readonly webhook: SimWebhook }
  | {
      readonly type: 'message.created';
      readonly messageId: string;
      readonly to: string;
      readonly from: string;
      readonly willFail: boolean;
    }
  | { readonly type: 'inbound.created'; readonly messageAppId: string; readonly to: string; readonly from: string }
  | { readonly type: 'delivery'; readonly record: DeliveryRecord }
  | {
      readonly type: 'delivery.gave-up';
      readonly url: string;
      readonly eventId: string;
      readonly eventType: string;
      readonly attempts: number;
    };

export type SimulatorListener = (event: SimulatorEvent) => void;

export interface VoltSimulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** The API token accepted as `Authorization: Bearer <token>`. @default DEFAULT_SIMULATOR_TOKEN */
  readonly token?: string;
  /** The RSA private key to sign with (PEM). @default a fresh 2048-bit key */
  readonly privateKeyPem?: string;
  /** Or a file holding that PEM. Ignored when `privateKeyPem` is set. */
  readonly privateKeyFile?: string;
  /**
   * How a missing or wrong token is answered: `graphql-error` is HTTP 200 with an `errors` entry
   * (code `UNAUTHENTICATED`), the way GraphQL servers usually fail; `http-401` is status 401 with the same body.
   * @default 'graphql-error'
   */
  readonly authFailure?: 'graphql-error' | 'http-401';
  /** Whether the schema has `deleteWebhook` (it is only seen in client code, not in Volt's docs). @default true */
  readonly supportsDelete?: boolean;
  /** The organization's numbers: `createMessage` may send only from these, `registerWebhook` takes only these as `primaryPhone`. @default any E.164 number */
  readonly ownedNumbers?: readonly string[];
  /** Recipients whose messages fail, with the failure reported. @default FAILING_RECIPIENTS */
  readonly failingRecipients?: Readonly<Record<string, FailureReason>>;
  /** @default DEFAULT_DELIVERY_OPTIONS */
  readonly delivery?: Partial<DeliveryOptions>;
  /** Latency added to every GraphQL request. @default 0 */
  readonly apiLatencyMs?: number;
  /** Sign the test request sent to a URL being registered (Volt's behaviour here is unknown). @default true */
  readonly signTestRequest?: boolean;
  /** Called for everything the simulator does; same as `on(listener)` right after start. */
  readonly onEvent?: SimulatorListener;
}

const E164 = /^\+[1-9]\d{6,14}$/;
const MAX_REQUEST_BYTES = 1024 * 1024;

function gqlError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
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

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** An event ready to go out: its bytes are fixed once, so retries and duplicates are byte-identical. */
interface PreparedEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly body: string;
  readonly signature: string;
}

/**
 * A stand-in for Volt: its GraphQL API (webhook registration and sending messages), a handset
 * that sends inbound messages, and webhook deliveries signed with the simulator's own RSA key.
 * Start it with {@link startVoltSimulator}.
 */
export class VoltSimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010`. */
  readonly url: string;
  /** Where the GraphQL API answers: `<url>/graphql`. */
  readonly graphqlUrl: string;
  /** Where the public key is served in OpenSSH format, like Volt's `id_rsa.pub`. */
  readonly publicKeyUrl: string;
  readonly port: number;
  readonly token: string;
  /** The signing key (PKCS#8 PEM), for a receiver that trusts it or a test that signs by hand. */
  readonly privateKeyPem: string;
  /** The public key as served at `publicKeyUrl` (one `ssh-rsa` line). */
  readonly publicKeyOpenSsh: string;

  private readonly listeners = new Set<SimulatorListener>();
  private readonly webhooks = new Map<string, SimWebhook>();
  private readonly messages = new Map<string, SimMessage>();
  private readonly log: DeliveryRecord[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private readonly faults: ApiFault[] = [];
  private readonly stopping = new AbortController();
  private readonly schema: GraphQLSchema;
  private readonly orgPrefix = newOrgPrefix();
  private readonly messagingProfileId = randomUUID();
  private lastEventTime = 0;
  private delivery: DeliveryOptions;

  /** @internal use {@link startVoltSimulator} */
  constructor(
    private readonly server: http.Server,
    private readonly privateKey: KeyObject,
    private readonly options: VoltSimulatorOptions,
  ) {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.port = address.port;
    this.url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
    this.graphqlUrl = `${this.url}/graphql`;
    this.publicKeyUrl = `${this.url}/id_rsa.pub`;
    this.token = options.token ?? DEFAULT_SIMULATOR_TOKEN;
    this.privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    this.publicKeyOpenSsh = toOpenSshRsa(createPublicKey(privateKey), 'volt-simulator');
    this.schema = buildSimulatorSchema({ supportsDelete: options.supportsDelete ?? true });
    this.delivery = { ...DEFAULT_DELIVERY_OPTIONS, ...options.delivery };
    if (options.onEvent) this.listeners.add(options.onEvent);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
        else res.destroy();
      });
    });
  }

  /** Subscribes to everything the simulator does; returns the unsubscribe function. */
  on(listener: SimulatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every POST made to a receiver so far, oldest first. */
  get deliveries(): readonly DeliveryRecord[] {
    return this.log;
  }

  get deliveryOptions(): DeliveryOptions {
    return this.delivery;
  }

  /** Changes how later deliveries behave. */
  setDeliveryOptions(options: Partial<DeliveryOptions>): void {
    this.delivery = { ...this.delivery, ...options };
  }

  /** Queues faults for the next GraphQL requests, one request per fault, in order. */
  injectApiFaults(...faults: ApiFault[]): void {
    this.faults.push(...faults);
  }

  /**
   * Forgets webhooks, messages, the delivery log and pending faults, and restores the delivery
   * options given at start. Call it between tests, after `idle()`.
   */
  reset(): void {
    this.webhooks.clear();
    this.messages.clear();
    this.log.length = 0;
    this.faults.length = 0;
    this.delivery = { ...DEFAULT_DELIVERY_OPTIONS, ...this.options.delivery };
  }

  /** Drops faults not yet consumed. */
  clearApiFaults(): void {
    this.faults.length = 0;
  }

  listWebhooks(): SimWebhook[] {
    return [...this.webhooks.values()];
  }

  getMessage(id: string): Readonly<SimMessage> | undefined {
    return this.messages.get(id);
  }

  /** Resolves when no delivery is pending: all attempts, retries and duplicates are done. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Stops the server and abandons pending deliveries. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Registers a webhook after a successful test request, as `registerWebhook` does. */
  async registerWebhook(
    url: string,
    primaryPhone?: string | null,
    eventTypes?: readonly (string | null)[] | null,
  ): Promise<SimWebhook> {
    if (!isHttpUrl(url)) throw gqlError(`Invalid webhook URL: ${url}`, 'BAD_USER_INPUT');
    if (primaryPhone != null && !E164.test(primaryPhone))
      throw gqlError(`Invalid phone number: ${primaryPhone}`, 'BAD_USER_INPUT');
    if (primaryPhone != null && this.options.ownedNumbers && !this.options.ownedNumbers.includes(primaryPhone)) {
      throw gqlError(`The number ${primaryPhone} does not belong to this organization`, 'FORBIDDEN');
    }
    const now = this.nextEventTime();
    const eventId = newEventId(this.orgPrefix);
    const body = JSON.stringify(buildTestEvent(eventId, url, now));
    const signed = this.options.signTestRequest ?? true;
    const result = await postBody(
      url,
      body,
      signed ? { [SIGNATURE_HEADER]: signBody(this.privateKey, body, DEFAULT_SCHEME) } : {},
      5000,
    );
    this.record({ kind: 'test', url, eventId, eventType: 'webhook.test', attempt: 1, ...result });
    if (!result.ok) {
      const why =
        result.status !== undefined
          ? `answered HTTP ${result.status}`
          : `could not be reached (${result.error ?? 'unknown error'})`;
      throw gqlError(
        `Webhook test request failed: ${url} ${why}; the endpoint must answer the test request with a 2xx status`,
        'WEBHOOK_TEST_FAILED',
      );
    }
    const at = new Date(now).toISOString();
    const types = eventTypes?.filter((t): t is string => typeof t === 'string') ?? null;
    const webhook: SimWebhook = {
      id: randomUUID(),
      url,
      createdAt: at,
      lastUpdatedAt: at,
      primaryPhone: primaryPhone ?? null,
      eventTypes: types && types.length > 0 ? types : null,
    };
    this.webhooks.set(webhook.id, webhook);
    this.emit({ type: 'webhook.registered', webhook });
    return webhook;
  }

  deleteWebhook(id: string): SimWebhook {
    const webhook = this.webhooks.get(id);
    if (!webhook) throw gqlError(`Webhook not found: ${id}`, 'NOT_FOUND');
    this.webhooks.delete(id);
    this.emit({ type: 'webhook.deleted', webhook });
    return webhook;
  }

  /** Sends a message: answers at once with status `queued`, then delivers `message.sent` and `message.finalized`. */
  createMessage(input: { to: string; from: string; body: string; media?: readonly string[] | null }): SimMessage {
    if (!E164.test(input.to)) throw gqlError(`Invalid phone number for "to": ${input.to}`, 'BAD_USER_INPUT');
    if (!E164.test(input.from)) throw gqlError(`Invalid phone number for "from": ${input.from}`, 'BAD_USER_INPUT');
    if (this.options.ownedNumbers && !this.options.ownedNumbers.includes(input.from)) {
      throw gqlError(`The number ${input.from} does not belong to this organization`, 'FORBIDDEN');
    }
    const media = input.media ?? [];
    if (input.body === '' && media.length === 0) throw gqlError('A message needs a body or media', 'BAD_USER_INPUT');
    const failure = (this.options.failingRecipients ?? FAILING_RECIPIENTS)[input.to];
    const message: SimMessage = {
      id: newMessageId(),
      messageAppId: newMessageAppId(),
      direction: 'outbound',
      to: input.to,
      from: input.from,
      body: input.body,
      media: [...media],
      status: 'queued',
      statusDescription: null,
      createdAt: this.nextEventTime(),
      sentAt: null,
      completedAt: null,
      failure,
    };
    this.messages.set(message.id ?? '', message);
    this.emit({
      type: 'message.created',
      messageId: message.id ?? '',
      to: message.to,
      from: message.from,
      willFail: failure !== undefined,
    });
    this.track(this.runOutbound(message));
    return message;
  }

  /** A handset sends a message to one of the organization's numbers: delivers `message.received`. */
  simulateInbound(input: { from: string; to: string; body: string; media?: readonly string[] | null }): {
    messageAppId: string;
    webhookEventId: string;
    deliveredTo: number;
  } {
    if (!E164.test(input.to) || !E164.test(input.from))
      throw gqlError('Invalid phone number: "from" and "to" must be E.164 (+15555550123)', 'BAD_USER_INPUT');
    const at = this.nextEventTime();
    const message: SimMessage = {
      id: null,
      messageAppId: newMessageAppId(),
      direction: 'inbound',
      to: input.to,
      from: input.from,
      body: input.body,
      media: [...(input.media ?? [])],
      status: 'webhook_delivered',
      statusDescription: null,
      createdAt: at,
      sentAt: null,
      completedAt: null,
      failure: undefined,
    };
    this.emit({ type: 'inbound.created', messageAppId: message.messageAppId, to: message.to, from: message.from });
    const event = this.prepare('message.received', message, at);
    const targets = this.targetsFor('message.received');
    this.track(
      (async () => {
        if (!(await this.pause(this.delivery.delayMs))) return;
        await Promise.all(targets.map((url) => this.deliverWithRetries(url, event)));
      })(),
    );
    return { messageAppId: message.messageAppId, webhookEventId: event.eventId, deliveredTo: targets.length };
  }

  private emit(event: SimulatorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not break the simulator.
      }
    }
  }

  private record(entry: Omit<DeliveryRecord, 'at'> & PostResult): void {
    const record: DeliveryRecord = { ...entry, at: new Date().toISOString() };
    this.log.push(record);
    this.emit({ type: 'delivery', record });
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Sleeps unless stopping; false when the simulator is stopping and the caller should give up. */
  private async pause(ms: number): Promise<boolean> {
    if (this.stopping.signal.aborted) return false;
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Event times strictly increase, so the events of one message are ordered by `occurred_at`. */
  private nextEventTime(): number {
    this.lastEventTime = Math.max(Date.now(), this.lastEventTime + 1);
    return this.lastEventTime;
  }

  /** Registered URLs that take this event type: all when a registration names no event types. */
  private targetsFor(eventType: string): string[] {
    const normalize = (t: string) => t.toLowerCase().replace(/[^a-z]/g, '');
    return this.listWebhooks()
      .filter((w) => w.eventTypes === null || w.eventTypes.some((t) => normalize(t) === normalize(eventType)))
      .map((w) => w.url);
  }

  private prepare(eventType: SimEventType, message: SimMessage, occurredAt: number): PreparedEvent {
    const eventId = newEventId(this.orgPrefix);
    const body = JSON.stringify(
      buildEvent({ eventId, eventType, message, occurredAt, messagingProfileId: this.messagingProfileId }),
    );
    return { eventId, eventType, body, signature: signBody(this.privateKey, body, DEFAULT_SCHEME) };
  }

  private async runOutbound(message: SimMessage): Promise<void> {
    if (!(await this.pause(this.delivery.delayMs))) return;
    const reorder = this.delivery.reorder;
    const sentAt = this.nextEventTime();
    message.status = 'sent';
    message.sentAt = sentAt;
    const sent = this.prepare('message.sent', message, sentAt);
    const sentTargets = this.targetsFor('message.sent');
    // One chain per URL keeps a message's events in order for that receiver, retries included.
    const chains = new Map<string, Promise<void>>();
    const enqueue = (urls: string[], event: PreparedEvent) => {
      for (const url of urls)
        chains.set(
          url,
          (chains.get(url) ?? Promise.resolve()).then(() => this.deliverWithRetries(url, event)),
        );
    };
    if (!reorder) enqueue(sentTargets, sent);
    if (!(await this.pause(this.delivery.gapMs))) return;
    const doneAt = this.nextEventTime();
    message.status = message.failure ? 'failed' : 'delivered';
    message.statusDescription = message.failure ? message.failure.providerErrorTitle : null;
    message.completedAt = doneAt;
    const finalized = this.prepare('message.finalized', message, doneAt);
    enqueue(this.targetsFor('message.finalized'), finalized);
    if (reorder) enqueue(sentTargets, sent);
    await Promise.all(chains.values());
  }

  private async deliverWithRetries(url: string, event: PreparedEvent): Promise<void> {
    const { maxAttempts, retryBaseMs, timeoutMs, duplicates } = this.delivery;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (attempt > 1 && !(await this.pause(retryBaseMs * 2 ** (attempt - 2)))) return;
      if (this.stopping.signal.aborted) return;
      const result = await postBody(url, event.body, { [SIGNATURE_HEADER]: event.signature }, timeoutMs);
      this.record({ kind: 'event', url, eventId: event.eventId, eventType: event.eventType, attempt, ...result });
      if (result.ok) {
        for (let copy = 1; copy <= duplicates; copy += 1) {
          const again = await postBody(url, event.body, { [SIGNATURE_HEADER]: event.signature }, timeoutMs);
          this.record({
            kind: 'duplicate',
            url,
            eventId: event.eventId,
            eventType: event.eventType,
            attempt: copy,
            ...again,
          });
        }
        return;
      }
    }
    this.emit({
      type: 'delivery.gave-up',
      url,
      eventId: event.eventId,
      eventType: event.eventType,
      attempts: maxAttempts,
    });
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://simulator').pathname;
    if (req.method === 'GET' && path === '/id_rsa.pub') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${this.publicKeyOpenSsh}\n`);
      return;
    }
    if (req.method === 'GET' && path === '/health') return sendJson(res, 200, { ok: true });
    if (path === '/graphql' && req.method === 'POST') return this.handleGraphql(req, res);
    if (path.startsWith('/control/')) return this.handleControl(req, res, path);
    sendJson(res, 404, { error: `no route ${req.method ?? ''} ${path}` });
  }

  private async handleGraphql(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const fault = this.faults.shift();
    const latency = (this.options.apiLatencyMs ?? 0) + (fault?.latencyMs ?? 0);
    const raw = await readBody(req);
    if (latency > 0 && !(await this.pause(latency))) {
      res.destroy();
      return;
    }
    if (fault?.reset) {
      req.socket.destroy();
      return;
    }
    if (fault?.status !== undefined) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
      return sendJson(res, fault.status, { message: `simulated HTTP ${fault.status}` }, headers);
    }

    const auth = req.headers.authorization ?? '';
    if (auth !== `Bearer ${this.token}`) {
      const body = {
        errors: [
          {
            message: 'Unauthorized: the API token is missing, invalid or expired',
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      };
      return sendJson(res, this.options.authFailure === 'http-401' ? 401 : 200, body);
    }

    let request: { query?: unknown; variables?: unknown; operationName?: unknown };
    try {
      request = JSON.parse(raw) as typeof request;
    } catch {
      return sendJson(res, 400, { errors: [{ message: 'Request body is not JSON' }] });
    }
    if (typeof request.query !== 'string')
      return sendJson(res, 400, { errors: [{ message: 'Request has no "query" string' }] });
    const result = await graphql({
      schema: this.schema,
      source: request.query,
      rootValue: this.resolvers(),
      variableValues:
        typeof request.variables === 'object' && request.variables !== null
          ? (request.variables as Record<string, unknown>)
          : undefined,
      operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
    });
    sendJson(res, 200, result);
  }

  /** Root resolvers: `buildSchema` schemas take the field resolvers from the root value. */
  private resolvers(): Record<string, (args: Record<string, unknown>) => unknown> {
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null);
    const messageView = (m: SimMessage) => ({
      id: m.id,
      toNumber: m.to,
      fromNumber: m.from,
      status: m.status,
      statusDescription: m.statusDescription,
      media: m.media,
      body: m.body,
      sentAt: m.sentAt === null ? null : new Date(m.sentAt).toISOString(),
      confirmedAt: m.completedAt === null ? null : new Date(m.completedAt).toISOString(),
    });
    return {
      webhooks: () => this.listWebhooks(),
      message: (args) => {
        const m = this.messages.get(str(args.id));
        return m ? messageView(m) : null;
      },
      registerWebhook: (args) =>
        this.registerWebhook(
          str(args.url),
          typeof args.primaryPhone === 'string' ? args.primaryPhone : null,
          list(args.eventTypes),
        ),
      deleteWebhook: (args) => this.deleteWebhook(str(args.id)),
      createMessage: (args) =>
        messageView(
          this.createMessage({ to: str(args.to), from: str(args.from), body: str(args.body), media: list(args.media) }),
        ),
      simulateInbound: (args) =>
        this.simulateInbound({ from: str(args.from), to: str(args.to), body: str(args.body), media: list(args.media) }),
    };
  }

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/control/deliveries') return sendJson(res, 200, { deliveries: this.log });
    if (req.method === 'GET' && path === '/control/webhooks')
      return sendJson(res, 200, { webhooks: this.listWebhooks() });
    if (req.method !== 'POST') return sendJson(res, 405, { error: `${path} takes POST` });
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse((await readBody(req)) || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { error: 'body must be a JSON object' });
    }
    try {
      if (path === '/control/inbound') {
        const media = Array.isArray(body.media) ? body.media.filter((m): m is string => typeof m === 'string') : [];
        return sendJson(
          res,
          200,
          this.simulateInbound({
            from: String(body.from ?? ''),
            to: String(body.to ?? ''),
            body: String(body.body ?? ''),
            media,
          }),
        );
      }
      if (path === '/control/faults') {
        const faults = Array.isArray(body.faults) ? (body.faults as ApiFault[]) : [];
        this.injectApiFaults(...faults);
        return sendJson(res, 200, { queued: this.faults.length });
      }
      if (path === '/control/delivery-options') {
        this.setDeliveryOptions(body as Partial<DeliveryOptions>);
        return sendJson(res, 200, { delivery: this.delivery });
      }
    } catch (err: unknown) {
      return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
    sendJson(res, 404, { error: `no control endpoint ${path}` });
  }
}

async function loadPrivateKey(options: VoltSimulatorOptions): Promise<KeyObject> {
  if (options.privateKeyPem) return createPrivateKey(options.privateKeyPem);
  if (options.privateKeyFile) return createPrivateKey(readFileSync(options.privateKeyFile, 'utf8'));
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return privateKey;
}

/** The port is taken, or another listen error: said plainly instead of an EADDRINUSE stack. */
export class SimulatorStartError extends Error {}

/**
 * Starts a Volt simulator. Resolves once it listens; `stop()` it when done.
 *
 * ```ts
 * const volt = await startVoltSimulator({ port: 0 });
 * // volt.graphqlUrl, volt.publicKeyUrl, volt.privateKeyPem, volt.token
 * await volt.stop();
 * ```
 */
export async function startVoltSimulator(options: VoltSimulatorOptions = {}): Promise<VoltSimulator> {
  const key = await loadPrivateKey(options);
  if (key.asymmetricKeyType !== 'rsa')
    throw new SimulatorStartError(`the signing key must be RSA, got ${key.asymmetricKeyType ?? 'unknown'}`);
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
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
  return new VoltSimulator(server, key, options);
}
