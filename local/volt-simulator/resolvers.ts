import type { SimMessage } from './events';
import type { VoltOperations } from './operations';
import type { SimulatorState } from './state';

/** Root resolvers: a `buildSchema` schema takes its fields' resolvers from the root value. */
export type RootResolvers = Record<string, (args: Record<string, unknown>) => unknown>;

// graphql-js has checked the argument types against the schema; these only narrow `unknown`.
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : null;

/** A message as the `Message` type shows it: ISO times, Volt's field names. */
function messageView(m: SimMessage): Record<string, unknown> {
  return {
    id: m.id,
    toNumber: m.to,
    fromNumber: m.from,
    status: m.status,
    statusDescription: m.statusDescription,
    media: m.media,
    body: m.body,
    sentAt: m.sentAt === null ? null : new Date(m.sentAt).toISOString(),
    confirmedAt: m.completedAt === null ? null : new Date(m.completedAt).toISOString(),
  };
}

/** The resolvers of every field in `buildSimulatorSchema`; `deleteWebhook` is unused when the schema leaves it out. */
export function buildResolvers(operations: VoltOperations, state: SimulatorState): RootResolvers {
  return {
    webhooks: () => state.listWebhooks(),
    message: (args) => {
      const m = state.getMessage(str(args.id));
      return m ? messageView(m) : null;
    },
    registerWebhook: (args) =>
      operations.registerWebhook(
        str(args.url),
        typeof args.primaryPhone === 'string' ? args.primaryPhone : null,
        list(args.eventTypes),
      ),
    deleteWebhook: (args) => operations.deleteWebhook(str(args.id)),
    createMessage: (args) =>
      messageView(
        operations.createMessage({
          to: str(args.to),
          from: str(args.from),
          body: str(args.body),
          media: list(args.media),
        }),
      ),
    simulateInbound: (args) =>
      operations.simulateInbound({
        from: str(args.from),
        to: str(args.to),
        body: str(args.body),
        media: list(args.media),
      }),
  };
}
