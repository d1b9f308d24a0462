import type * as http from 'node:http';
import { graphql, type GraphQLSchema } from 'graphql';
import type { Lifetime } from './lifetime';
import { readBody, sendJson, type Route } from './http-server';
import type { RootResolvers } from './resolvers';

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

/** Faults waiting for the next GraphQL requests, one request each, oldest first. */
export class ApiFaultQueue {
  private readonly pending: ApiFault[] = [];

  get size(): number {
    return this.pending.length;
  }

  push(...faults: ApiFault[]): void {
    this.pending.push(...faults);
  }

  next(): ApiFault | undefined {
    return this.pending.shift();
  }

  clear(): void {
    this.pending.length = 0;
  }
}

export interface GraphqlApiConfig {
  readonly schema: GraphQLSchema;
  readonly resolvers: RootResolvers;
  /** Accepted as `Authorization: Bearer <token>`. */
  readonly token: string;
  readonly authFailure: 'graphql-error' | 'http-401';
  /** Added to every request. */
  readonly apiLatencyMs: number;
  readonly faults: ApiFaultQueue;
  readonly lifetime: Lifetime;
}

const UNAUTHENTICATED = {
  errors: [
    { message: 'Unauthorized: the API token is missing, invalid or expired', extensions: { code: 'UNAUTHENTICATED' } },
  ],
};

/** `POST /graphql`: the next injected fault first, then the token, then the operation. */
export function graphqlRoute(config: GraphqlApiConfig): Route {
  return {
    method: 'POST',
    path: '/graphql',
    handle: async (req, res) => {
      const fault = config.faults.next();
      const raw = await readBody(req);
      if (await answeredByFault(config, fault, req, res)) return;
      if (req.headers.authorization !== `Bearer ${config.token}`)
        return sendJson(res, config.authFailure === 'http-401' ? 401 : 200, UNAUTHENTICATED);
      await execute(config, raw, res);
    },
  };
}

/** Applies the latency and the fault; true when the fault took the place of the answer. */
async function answeredByFault(
  config: GraphqlApiConfig,
  fault: ApiFault | undefined,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<boolean> {
  const latency = config.apiLatencyMs + (fault?.latencyMs ?? 0);
  if (latency > 0 && !(await config.lifetime.pause(latency))) {
    res.destroy();
    return true;
  }
  if (fault?.reset) {
    req.socket.destroy();
    return true;
  }
  if (fault?.status === undefined) return false;
  const headers: Record<string, string> =
    fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {};
  sendJson(res, fault.status, { message: `simulated HTTP ${fault.status}` }, headers);
  return true;
}

async function execute(config: GraphqlApiConfig, raw: string, res: http.ServerResponse): Promise<void> {
  let request: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    request = JSON.parse(raw) as typeof request;
  } catch {
    return sendJson(res, 400, { errors: [{ message: 'Request body is not JSON' }] });
  }
  if (typeof request.query !== 'string')
    return sendJson(res, 400, { errors: [{ message: 'Request has no "query" string' }] });
  const result = await graphql({
    schema: config.schema,
    source: request.query,
    rootValue: config.resolvers,
    variableValues:
      typeof request.variables === 'object' && request.variables !== null
        ? (request.variables as Record<string, unknown>)
        : undefined,
    operationName: typeof request.operationName === 'string' ? request.operationName : undefined,
  });
  sendJson(res, 200, result);
}
