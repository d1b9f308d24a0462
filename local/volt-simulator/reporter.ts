import type { DeliveryRecord } from './delivery-log';
import type { SimWebhook } from './state';

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

/** Fans the simulator's events out to its listeners. */
export class Reporter {
  private readonly listeners = new Set<SimulatorListener>();

  /** Returns the unsubscribe function. */
  add(listener: SimulatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: SimulatorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not break the simulator.
      }
    }
  }
}
