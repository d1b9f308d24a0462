import { DomainError } from '../common/errors';

/**
 * A small client for Volt's GraphQL API, with no AWS code inside: the registration custom
 * resource and the CLI's `send` command use it. Transient failures (network errors, 429, 5xx)
 * are retried with exponential backoff inside a time budget; GraphQL `errors` are not retried
 * and surface with Volt's own message.
 */

/** Volt's API endpoint. */
export const DEFAULT_VOLT_API_URL = 'https://api.respondflow.com/graphql';

/** A webhook registration as the API returns it. Fields other than `id` and `url` may be absent or null. */
export interface VoltWebhook {
  readonly id: string;
  readonly url: string;
  readonly createdAt?: string | null;
  readonly lastUpdatedAt?: string | null;
  readonly primaryPhone?: string | null;
  readonly eventTypes?: readonly string[] | null;
}

/** A message as `createMessage` returns it. */
export interface VoltMessage {
  readonly id: string;
  readonly toNumber?: string | null;
  readonly fromNumber?: string | null;
  readonly status?: string | null;
  readonly statusDescription?: string | null;
  readonly media?: readonly string[] | null;
  readonly body?: string | null;
  readonly sentAt?: string | null;
  readonly confirmedAt?: string | null;
}

/** One entry of a GraphQL `errors` array, reduced to what is useful in a message. */
export interface GraphQLErrorEntry {
  readonly message: string;
  readonly code?: string;
}

/** Calling Volt failed. `retryable` says whether trying again later may help. */
export class VoltApiError extends DomainError {
  constructor(
    message: string,
    public readonly retryable: boolean,
    /** The HTTP status, when there was an answer. */
    public readonly status?: number,
    /** Seconds from a `Retry-After` header. */
    public readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** Volt answered with GraphQL `errors`: the request was understood and refused. Never retried. */
export class VoltGraphQLError extends VoltApiError {
  constructor(
    public readonly errors: readonly GraphQLErrorEntry[],
    status?: number,
  ) {
    super(`Volt API error: ${errors.map((e) => e.message + (e.code ? ` (${e.code})` : '')).join('; ')}`, false, status);
  }

  /** True when Volt says the object does not exist (e.g. a webhook deleted outside CloudFormation). */
  get isNotFound(): boolean {
    return this.errors.some(
      (e) => e.code === 'NOT_FOUND' || /\bnot found\b|does not exist|no such|unknown webhook/i.test(e.message),
    );
  }

  /** True when the API's schema has no such field, e.g. an API without `deleteWebhook`. */
  isUnsupported(field: string): boolean {
    return this.errors.some((e) => e.message.includes(`Cannot query field "${field}"`));
  }
}

/** Volt rejected the token: missing, wrong, or expired (Volt's tokens are JWTs and expire). Never retried. */
export class VoltUnauthorizedError extends VoltApiError {}

export interface RetryPolicy {
  /** Attempts in all, the first included. @default 8 */
  readonly maxAttempts?: number;
  /** Wait before the first retry, doubled per retry, with jitter. @default 500 */
  readonly baseDelayMs?: number;
  /** Longest wait between two attempts. @default 8000 */
  readonly maxDelayMs?: number;
  /** Longest wait for one answer. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Epoch ms after which no attempt starts: the caller's time budget. @default none */
  readonly deadline?: number;
}

export interface VoltClientOptions {
  /** The GraphQL endpoint. @default DEFAULT_VOLT_API_URL */
  readonly apiUrl?: string;
  /** Sent as `Authorization: Bearer <token>`; never included in errors or logs. */
  readonly token: string;
  readonly retry?: RetryPolicy;
  /** Called before each retry, e.g. to log it. */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly reason: string }) => void;
  /** Injected for tests. @default the global fetch */
  readonly fetch?: typeof fetch;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface RequestOptions {
  /**
   * Retry transient failures. Turn it off for a mutation that must not run twice (the caller
   * then checks whether a failed attempt took effect before trying again). @default true
   */
  readonly retry?: boolean;
}

const WEBHOOK_FIELDS = 'id url createdAt lastUpdatedAt primaryPhone eventTypes';
const MESSAGE_FIELDS = 'id toNumber fromNumber status statusDescription media body sentAt confirmedAt';

/** Exponential backoff with "equal jitter": half the delay fixed, half random, so retries of many callers spread out. */
export function backoffDelay(
  retry: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function describeCause(err: unknown): string {
  // The abort reason is a DOMException, which may come from another realm than Error: test by shape.
  const shaped = err as { name?: unknown; message?: unknown; cause?: unknown } | null;
  if (typeof shaped !== 'object' || shaped === null) return String(err);
  if (shaped.name === 'TimeoutError' || shaped.name === 'AbortError') return 'no answer in time';
  const cause = shaped.cause as { code?: unknown; message?: unknown } | undefined;
  if (typeof cause === 'object' && cause !== null && typeof cause.message === 'string') {
    return typeof cause.code === 'string' ? `${cause.code} ${cause.message}` : cause.message;
  }
  return typeof shaped.message === 'string' ? shaped.message : String(err);
}

const AUTH_MESSAGE = /unauthori[sz]ed|unauthenticated|invalid token|token (?:is )?(?:invalid|expired)|jwt/i;

function graphqlErrors(body: unknown): GraphQLErrorEntry[] | undefined {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  return errors.map((e: unknown) => {
    const entry = e as { message?: unknown; extensions?: { code?: unknown } } | null;
    const message = typeof entry?.message === 'string' ? entry.message : JSON.stringify(e);
    const code = typeof entry?.extensions?.code === 'string' ? entry.extensions.code : undefined;
    return code ? { message, code } : { message };
  });
}

function unauthorized(errors: readonly GraphQLErrorEntry[] | undefined, status: number): VoltUnauthorizedError {
  const said = errors?.map((e) => e.message).join('; ') ?? `HTTP ${status}`;
  return new VoltUnauthorizedError(
    `Volt rejected the API token: ${said}. Check the token in the secret (Volt's tokens expire).`,
    false,
    status,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export class VoltClient {
  readonly apiUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: VoltClientOptions) {
    this.apiUrl = options.apiUrl ?? DEFAULT_VOLT_API_URL;
    this.fetchImpl = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Runs one GraphQL operation and returns its `data`. */
  async request<T>(query: string, variables: Record<string, unknown> = {}, options: RequestOptions = {}): Promise<T> {
    const policy = this.options.retry ?? {};
    const maxAttempts = options.retry === false ? 1 : (policy.maxAttempts ?? 8);
    const started = this.now();
    let lastError: VoltApiError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      try {
        return await this.attempt<T>(query, variables);
      } catch (err: unknown) {
        if (!(err instanceof VoltApiError) || !err.retryable) throw err;
        lastError = err;
      }
      if (attempt === maxAttempts) break;
      const backoff = backoffDelay(attempt, policy.baseDelayMs ?? 500, policy.maxDelayMs ?? 8000);
      const delayMs =
        lastError.retryAfterSeconds !== undefined ? Math.max(backoff, lastError.retryAfterSeconds * 1000) : backoff;
      if (policy.deadline !== undefined && this.now() + delayMs >= policy.deadline) break;
      this.options.onRetry?.({ attempt, delayMs, reason: lastError.message });
      await this.sleep(delayMs);
    }
    if (!lastError) throw new VoltApiError('Volt API was not called', false);
    if (maxAttempts === 1) throw lastError;
    const seconds = ((this.now() - started) / 1000).toFixed(1);
    throw new VoltApiError(
      `Volt API still failing after retrying for ${seconds} s: ${lastError.message}`,
      true,
      lastError.status,
    );
  }

  private async attempt<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const policy = this.options.retry ?? {};
    const remaining = policy.deadline !== undefined ? policy.deadline - this.now() : Number.POSITIVE_INFINITY;
    const timeoutMs = Math.max(1000, Math.min(policy.requestTimeoutMs ?? 10_000, remaining));
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(this.apiUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${this.options.token}`,
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err: unknown) {
      throw new VoltApiError(`network error calling Volt at ${this.apiUrl}: ${describeCause(err)}`, true);
    }
    const status = response.status;
    const body = parseJson(text);
    const errors = graphqlErrors(body);
    if (status === 429 || status >= 500) {
      const retryAfter = Number(response.headers.get('retry-after'));
      const said = (body as { message?: unknown } | undefined)?.message;
      const detail =
        errors?.map((e) => e.message).join('; ') ?? (typeof said === 'string' ? said : text.slice(0, 200).trim());
      throw new VoltApiError(
        `Volt API answered HTTP ${status}${detail ? `: ${detail}` : ''}`,
        true,
        status,
        Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
      );
    }
    if (status === 401 || status === 403) throw unauthorized(errors, status);
    if (errors) {
      if (errors.some((e) => e.code === 'UNAUTHENTICATED' || AUTH_MESSAGE.test(e.message)))
        throw unauthorized(errors, status);
      throw new VoltGraphQLError(errors, status);
    }
    if (status < 200 || status >= 300) {
      throw new VoltApiError(`Volt API answered HTTP ${status}: ${text.slice(0, 200).trim()}`, false, status);
    }
    const data = (body as { data?: unknown } | undefined)?.data;
    if (typeof data !== 'object' || data === null) {
      throw new VoltApiError(`Volt API answered without GraphQL data: ${text.slice(0, 200).trim()}`, false, status);
    }
    return data as T;
  }

  async listWebhooks(): Promise<VoltWebhook[]> {
    const data = await this.request<{ webhooks: VoltWebhook[] | null }>(
      `query webhooks { webhooks { ${WEBHOOK_FIELDS} } }`,
    );
    return data.webhooks ?? [];
  }

  /** Registers a URL. Volt sends the URL a test request first and refuses unless it answers 2xx. */
  async registerWebhook(
    input: { readonly url: string; readonly primaryPhone?: string; readonly eventTypes?: readonly string[] },
    options: RequestOptions = {},
  ): Promise<VoltWebhook> {
    // Only the documented argument is sent unless options are set, so an API without them still works.
    const args: string[] = ['$url: String!'];
    const params: string[] = ['url: $url'];
    const variables: Record<string, unknown> = { url: input.url };
    if (input.primaryPhone !== undefined) {
      args.push('$primaryPhone: String');
      params.push('primaryPhone: $primaryPhone');
      variables.primaryPhone = input.primaryPhone;
    }
    if (input.eventTypes !== undefined) {
      args.push('$eventTypes: [WebhookEventType]');
      params.push('eventTypes: $eventTypes');
      variables.eventTypes = input.eventTypes;
    }
    const query = `mutation registerWebhook(${args.join(', ')}) { registerWebhook(${params.join(', ')}) { ${WEBHOOK_FIELDS} } }`;
    const data = await this.request<{ registerWebhook: VoltWebhook | null }>(query, variables, options);
    if (!data.registerWebhook?.id)
      throw new VoltApiError('Volt API registerWebhook answered without a webhook id', false);
    return data.registerWebhook;
  }

  async deleteWebhook(id: string): Promise<VoltWebhook | null> {
    const data = await this.request<{ deleteWebhook: VoltWebhook | null }>(
      `mutation deleteWebhook($id: ID!) { deleteWebhook(id: $id) { ${WEBHOOK_FIELDS} } }`,
      { id },
    );
    return data.deleteWebhook;
  }

  /** Sends a message. Not retried: a retry after a lost answer could send the SMS twice. */
  async createMessage(input: {
    readonly to: string;
    readonly from: string;
    readonly body: string;
    readonly media?: readonly string[];
  }): Promise<VoltMessage> {
    const data = await this.request<{ createMessage: VoltMessage | null }>(
      `mutation createMessage($to: String!, $from: String!, $body: String!, $media: [String!]) { createMessage(to: $to, from: $from, body: $body, media: $media) { ${MESSAGE_FIELDS} } }`,
      {
        to: input.to,
        from: input.from,
        body: input.body,
        ...(input.media && input.media.length > 0 ? { media: input.media } : {}),
      },
      { retry: false },
    );
    if (!data.createMessage?.id) throw new VoltApiError('Volt API createMessage answered without a message id', false);
    return data.createMessage;
  }
}
