import type * as http from 'node:http';
import type { DeliveryEngine, DeliveryOptions } from './delivery';
import type { DeliveryLog } from './delivery-log';
import type { ApiFault, ApiFaultQueue } from './graphql-api';
import { readBody, sendJson, type Route } from './http-server';
import type { VoltOperations } from './operations';
import type { SimulatorState } from './state';

/** What the control API reads and steers. */
export interface ControlApiDeps {
  readonly publicKeyOpenSsh: string;
  readonly state: SimulatorState;
  readonly log: DeliveryLog;
  readonly engine: DeliveryEngine;
  readonly faults: ApiFaultQueue;
  readonly operations: VoltOperations;
}

type ControlBody = Record<string, unknown>;
type ControlAction = (body: ControlBody) => unknown;

/**
 * The simulator's unauthenticated endpoints: Volt's public key, and `/control/...` for a script
 * or a person to act as a handset and to steer faults and deliveries while it runs.
 */
export function controlRoutes(deps: ControlApiDeps): Route[] {
  const reads = new Map<string, () => unknown>([
    ['/control/deliveries', () => ({ deliveries: deps.log.records })],
    ['/control/webhooks', () => ({ webhooks: deps.state.listWebhooks() })],
  ]);
  const actions = controlActions(deps);
  return [
    {
      method: 'GET',
      path: '/id_rsa.pub',
      handle: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${deps.publicKeyOpenSsh}\n`);
      },
    },
    {
      path: '/control/',
      prefix: true,
      handle: async (req, res, path) => {
        const read = req.method === 'GET' ? reads.get(path) : undefined;
        if (read) return sendJson(res, 200, read());
        if (req.method !== 'POST') return sendJson(res, 405, { error: `${path} takes POST` });
        await runAction(actions, req, res, path);
      },
    },
  ];
}

function controlActions(deps: ControlApiDeps): Map<string, ControlAction> {
  return new Map<string, ControlAction>([
    [
      '/control/inbound',
      (body) =>
        deps.operations.simulateInbound({
          from: String(body.from ?? ''),
          to: String(body.to ?? ''),
          body: String(body.body ?? ''),
          media: Array.isArray(body.media) ? body.media.filter((m): m is string => typeof m === 'string') : [],
        }),
    ],
    [
      '/control/faults',
      (body) => {
        deps.faults.push(...(Array.isArray(body.faults) ? (body.faults as ApiFault[]) : []));
        return { queued: deps.faults.size };
      },
    ],
    [
      '/control/delivery-options',
      (body) => {
        deps.engine.setOptions(body as Partial<DeliveryOptions>);
        return { delivery: deps.engine.options };
      },
    ],
  ]);
}

/** A POST's body must be a JSON object (empty means `{}`); an action that throws is the caller's 400. */
async function runAction(
  actions: ReadonlyMap<string, ControlAction>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  let body: ControlBody;
  try {
    const parsed: unknown = JSON.parse((await readBody(req)) || '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    body = parsed as ControlBody;
  } catch {
    return sendJson(res, 400, { error: 'body must be a JSON object' });
  }
  const action = actions.get(path);
  if (!action) return sendJson(res, 404, { error: `no control endpoint ${path}` });
  let answer: unknown;
  try {
    answer = action(body);
  } catch (err: unknown) {
    return sendJson(res, 400, { error: err instanceof Error ? err.message : String(err) });
  }
  sendJson(res, 200, answer);
}
