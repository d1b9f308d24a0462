import type { DeliveryLog, DeliveryRecord } from './delivery-log';
import { buildEvent, type SimEventType, type SimMessage } from './events';
import { postBody, type PostResult } from './http-post';
import type { Lifetime } from './lifetime';
import type { Reporter } from './reporter';
import { SIGNED, type Signer } from './signer';
import { markCompleted, markSent, type SimulatorState } from './state';

// The delivery engine turns a message's life into signed webhook POSTs to every registered URL.
// Each option is read when its step begins (the retry options once per event and URL), so
// `setDeliveryOptions` also changes deliveries under way. A new fault is a field in
// DeliveryOptions plus the step that reads it: before the first POST (delayMs), in how a
// message's events are ordered (reorder, runOutbound), on each attempt (post), between attempts
// (backoffMs), or after a success (duplicates, sendDuplicates).

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

/** The wait before attempt number `attempt` (2 or more): the base, doubled for each retry before it. */
export function backoffMs(retryBaseMs: number, attempt: number): number {
  return retryBaseMs * 2 ** (attempt - 2);
}

/** An event ready to go out: its bytes and signature are fixed once, so retries and duplicates are byte-identical. */
export interface PreparedEvent {
  readonly eventId: string;
  readonly eventType: SimEventType;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

type Deliver = (url: string, event: PreparedEvent) => Promise<void>;

/** One chain per URL keeps a message's events in order for that receiver, retries included. */
class ReceiverChains {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly deliver: Deliver) {}

  enqueue(urls: readonly string[], event: PreparedEvent): void {
    for (const url of urls)
      this.chains.set(
        url,
        (this.chains.get(url) ?? Promise.resolve()).then(() => this.deliver(url, event)),
      );
  }

  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }
}

export interface DeliveryEngineDeps {
  readonly state: SimulatorState;
  readonly signer: Signer;
  readonly log: DeliveryLog;
  readonly lifetime: Lifetime;
  readonly reporter: Reporter;
}

export class DeliveryEngine {
  private current: DeliveryOptions;

  constructor(
    private readonly deps: DeliveryEngineDeps,
    private readonly initial: Partial<DeliveryOptions> = {},
  ) {
    this.current = { ...DEFAULT_DELIVERY_OPTIONS, ...initial };
  }

  get options(): DeliveryOptions {
    return this.current;
  }

  setOptions(options: Partial<DeliveryOptions>): void {
    this.current = { ...this.current, ...options };
  }

  /** Back to the options given at start. */
  resetOptions(): void {
    this.current = { ...DEFAULT_DELIVERY_OPTIONS, ...this.initial };
  }

  /** In the background: `message.sent`, then `gapMs` later `message.finalized`, to the URLs taking each. */
  deliverOutbound(message: SimMessage): void {
    this.deps.lifetime.track(this.runOutbound(message));
  }

  /** Prepares `message.received` now and delivers it in the background; says its id and how many URLs take it. */
  deliverInbound(message: SimMessage, occurredAt: number): { eventId: string; targets: number } {
    const event = this.prepare('message.received', message, occurredAt);
    const targets = this.deps.state.targetsFor('message.received');
    this.deps.lifetime.track(this.deliverAfterDelay(targets, event));
    return { eventId: event.eventId, targets: targets.length };
  }

  private async deliverAfterDelay(targets: readonly string[], event: PreparedEvent): Promise<void> {
    if (!(await this.deps.lifetime.pause(this.current.delayMs))) return;
    await Promise.all(targets.map((url) => this.deliverWithRetries(url, event)));
  }

  private prepare(eventType: SimEventType, message: SimMessage, occurredAt: number): PreparedEvent {
    const { state, signer } = this.deps;
    const eventId = state.newEventId();
    const body = JSON.stringify(
      buildEvent({ eventId, eventType, message, occurredAt, messagingProfileId: state.messagingProfileId }),
    );
    return { eventId, eventType, body, headers: signer.headersFor(body, SIGNED) };
  }

  private async runOutbound(message: SimMessage): Promise<void> {
    const { lifetime, state } = this.deps;
    if (!(await lifetime.pause(this.current.delayMs))) return;
    const reorder = this.current.reorder;
    const chains = new ReceiverChains((url, event) => this.deliverWithRetries(url, event));
    const sentAt = state.nextEventTime();
    markSent(message, sentAt);
    const sent = this.prepare('message.sent', message, sentAt);
    const sentTargets = state.targetsFor('message.sent');
    if (!reorder) chains.enqueue(sentTargets, sent);
    if (!(await lifetime.pause(this.current.gapMs))) return;
    const doneAt = state.nextEventTime();
    markCompleted(message, doneAt);
    const finalized = this.prepare('message.finalized', message, doneAt);
    chains.enqueue(state.targetsFor('message.finalized'), finalized);
    // Held back until now, so message.sent goes out after message.finalized, its occurred_at unchanged.
    if (reorder) chains.enqueue(sentTargets, sent);
    await chains.settled();
  }

  private async deliverWithRetries(url: string, event: PreparedEvent): Promise<void> {
    const options = this.current;
    const { lifetime, reporter } = this.deps;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
      if (attempt > 1 && !(await lifetime.pause(backoffMs(options.retryBaseMs, attempt)))) return;
      if (lifetime.stopped) return;
      const result = await this.post(url, event, 'event', attempt, options.timeoutMs);
      if (result.ok) return this.sendDuplicates(url, event, options);
    }
    const { eventId, eventType } = event;
    reporter.emit({ type: 'delivery.gave-up', url, eventId, eventType, attempts: options.maxAttempts });
  }

  private async sendDuplicates(url: string, event: PreparedEvent, options: DeliveryOptions): Promise<void> {
    for (let copy = 1; copy <= options.duplicates; copy += 1)
      await this.post(url, event, 'duplicate', copy, options.timeoutMs);
  }

  /** Every delivery POST goes out and is logged here: a fault that changes what is sent belongs here. */
  private async post(
    url: string,
    event: PreparedEvent,
    kind: DeliveryRecord['kind'],
    attempt: number,
    timeoutMs: number,
  ): Promise<PostResult> {
    const result = await postBody(url, event.body, { ...event.headers }, timeoutMs);
    this.deps.log.record({ kind, url, eventId: event.eventId, eventType: event.eventType, attempt }, result);
    return result;
  }
}
