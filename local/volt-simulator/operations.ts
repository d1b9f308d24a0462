import { apiError } from './errors';
import { FAILING_RECIPIENTS, type FailureReason, type SimMessage } from './events';
import type { DeliveryEngine } from './delivery';
import type { RegistrationProbe } from './registration-probe';
import type { Reporter } from './reporter';
import {
  newInboundMessage,
  newOutboundMessage,
  type MessageInput,
  type SimWebhook,
  type SimulatorState,
} from './state';

const E164 = /^\+[1-9]\d{6,14}$/;

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** What `simulateInbound` answers. */
export interface InboundResult {
  readonly messageAppId: string;
  readonly webhookEventId: string;
  readonly deliveredTo: number;
}

/** The organization's rules for the operations. */
export interface OperationsConfig {
  /** `createMessage` may send only from these, `registerWebhook` takes only these as `primaryPhone`. @default any */
  readonly ownedNumbers?: readonly string[];
  /** @default FAILING_RECIPIENTS */
  readonly failingRecipients?: Readonly<Record<string, FailureReason>>;
}

export interface OperationsDeps {
  readonly state: SimulatorState;
  readonly engine: DeliveryEngine;
  readonly probe: RegistrationProbe;
  readonly reporter: Reporter;
}

/**
 * Volt's operations with their input checks, shared by the GraphQL resolvers, the control API and
 * callers in code. A refused input throws the API error a GraphQL client would get.
 */
export class VoltOperations {
  constructor(
    private readonly deps: OperationsDeps,
    private readonly config: OperationsConfig,
  ) {}

  /** Registers a webhook after a successful test request to its URL. */
  async registerWebhook(
    url: string,
    primaryPhone?: string | null,
    eventTypes?: readonly (string | null)[] | null,
  ): Promise<SimWebhook> {
    if (!isHttpUrl(url)) throw apiError(`Invalid webhook URL: ${url}`, 'BAD_USER_INPUT');
    if (primaryPhone != null && !E164.test(primaryPhone))
      throw apiError(`Invalid phone number: ${primaryPhone}`, 'BAD_USER_INPUT');
    if (primaryPhone != null) this.assertOwned(primaryPhone);
    const { state, probe, reporter } = this.deps;
    const now = state.nextEventTime();
    await probe.check(url, now);
    const types = eventTypes?.filter((t): t is string => typeof t === 'string') ?? null;
    const webhook = state.addWebhook(url, primaryPhone ?? null, types, now);
    reporter.emit({ type: 'webhook.registered', webhook });
    return webhook;
  }

  deleteWebhook(id: string): SimWebhook {
    const webhook = this.deps.state.removeWebhook(id);
    if (!webhook) throw apiError(`Webhook not found: ${id}`, 'NOT_FOUND');
    this.deps.reporter.emit({ type: 'webhook.deleted', webhook });
    return webhook;
  }

  /** Answers at once with status `queued`, then delivers `message.sent` and `message.finalized`. */
  createMessage(input: MessageInput): SimMessage {
    if (!E164.test(input.to)) throw apiError(`Invalid phone number for "to": ${input.to}`, 'BAD_USER_INPUT');
    if (!E164.test(input.from)) throw apiError(`Invalid phone number for "from": ${input.from}`, 'BAD_USER_INPUT');
    this.assertOwned(input.from);
    if (input.body === '' && (input.media ?? []).length === 0)
      throw apiError('A message needs a body or media', 'BAD_USER_INPUT');
    const { state, engine, reporter } = this.deps;
    const failure = (this.config.failingRecipients ?? FAILING_RECIPIENTS)[input.to];
    const message = newOutboundMessage(input, failure, state.nextEventTime());
    state.addMessage(message);
    const { to, from } = message;
    reporter.emit({ type: 'message.created', messageId: message.id ?? '', to, from, willFail: failure !== undefined });
    engine.deliverOutbound(message);
    return message;
  }

  /** A handset sends a message to one of the organization's numbers: delivers `message.received`. */
  simulateInbound(input: MessageInput): InboundResult {
    if (!E164.test(input.to) || !E164.test(input.from))
      throw apiError('Invalid phone number: "from" and "to" must be E.164 (+15555550123)', 'BAD_USER_INPUT');
    const { state, engine, reporter } = this.deps;
    const at = state.nextEventTime();
    const message = newInboundMessage(input, at);
    reporter.emit({ type: 'inbound.created', messageAppId: message.messageAppId, to: message.to, from: message.from });
    const { eventId, targets } = engine.deliverInbound(message, at);
    return { messageAppId: message.messageAppId, webhookEventId: eventId, deliveredTo: targets };
  }

  private assertOwned(phone: string): void {
    const owned = this.config.ownedNumbers;
    if (owned && !owned.includes(phone))
      throw apiError(`The number ${phone} does not belong to this organization`, 'FORBIDDEN');
  }
}
