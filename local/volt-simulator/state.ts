import { randomUUID } from 'node:crypto';
import { newEventId, newMessageAppId, newMessageId, newOrgPrefix, type FailureReason, type SimMessage } from './events';

/** A webhook registration, as the `webhooks` query returns it. */
export interface SimWebhook {
  readonly id: string;
  readonly url: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly primaryPhone: string | null;
  readonly eventTypes: readonly string[] | null;
}

/** What `createMessage` and a handset's inbound message are given. */
export interface MessageInput {
  readonly to: string;
  readonly from: string;
  readonly body: string;
  readonly media?: readonly string[] | null;
}

/** Event types compare ignoring case and punctuation, so `message.sent` matches `MESSAGE_SENT`. */
function eventTypeKey(eventType: string): string {
  return eventType.toLowerCase().replace(/[^a-z]/g, '');
}

/**
 * The simulated organization: its webhook registrations, its outbound messages, and the ids and
 * clock its events carry. `clear()` forgets the records but keeps the organization's identity.
 */
export class SimulatorState {
  /** Same for every event id of this organization, like the first part of Volt's `rfw_` ids. */
  private readonly orgPrefix = newOrgPrefix();
  readonly messagingProfileId = randomUUID();
  private readonly webhooks = new Map<string, SimWebhook>();
  private readonly messages = new Map<string, SimMessage>();
  private lastEventTime = 0;

  /** Event times strictly increase, so the events of one message are ordered by `occurred_at`. */
  nextEventTime(): number {
    this.lastEventTime = Math.max(Date.now(), this.lastEventTime + 1);
    return this.lastEventTime;
  }

  newEventId(): string {
    return newEventId(this.orgPrefix);
  }

  /** An empty or absent `eventTypes` list means every event type. */
  addWebhook(url: string, primaryPhone: string | null, eventTypes: readonly string[] | null, at: number): SimWebhook {
    const time = new Date(at).toISOString();
    const webhook: SimWebhook = {
      id: randomUUID(),
      url,
      createdAt: time,
      lastUpdatedAt: time,
      primaryPhone,
      eventTypes: eventTypes && eventTypes.length > 0 ? eventTypes : null,
    };
    this.webhooks.set(webhook.id, webhook);
    return webhook;
  }

  /** The removed registration, or undefined when there is none with this id. */
  removeWebhook(id: string): SimWebhook | undefined {
    const webhook = this.webhooks.get(id);
    this.webhooks.delete(id);
    return webhook;
  }

  listWebhooks(): SimWebhook[] {
    return [...this.webhooks.values()];
  }

  /** Registered URLs that take this event type: all when a registration names no event types. */
  targetsFor(eventType: string): string[] {
    const key = eventTypeKey(eventType);
    return this.listWebhooks()
      .filter((w) => w.eventTypes === null || w.eventTypes.some((t) => eventTypeKey(t) === key))
      .map((w) => w.url);
  }

  addMessage(message: SimMessage): void {
    this.messages.set(message.id ?? '', message);
  }

  getMessage(id: string): SimMessage | undefined {
    return this.messages.get(id);
  }

  clear(): void {
    this.webhooks.clear();
    this.messages.clear();
  }
}

/** A message accepted by `createMessage`: queued until its `message.sent`. */
export function newOutboundMessage(input: MessageInput, failure: FailureReason | undefined, at: number): SimMessage {
  return {
    id: newMessageId(),
    messageAppId: newMessageAppId(),
    direction: 'outbound',
    to: input.to,
    from: input.from,
    body: input.body,
    media: [...(input.media ?? [])],
    status: 'queued',
    statusDescription: null,
    createdAt: at,
    sentAt: null,
    completedAt: null,
    failure,
  };
}

/** A message a handset sent: inbound messages have no `rf_` id. */
export function newInboundMessage(input: MessageInput, at: number): SimMessage {
  return {
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
}

export function markSent(message: SimMessage, at: number): void {
  message.status = 'sent';
  message.sentAt = at;
}

/** Ends the message as its failure says: `failed` with the provider's title, or `delivered`. */
export function markCompleted(message: SimMessage, at: number): void {
  message.status = message.failure ? 'failed' : 'delivered';
  message.statusDescription = message.failure ? message.failure.providerErrorTitle : null;
  message.completedAt = at;
}
