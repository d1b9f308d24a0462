import type { PostResult } from './http-post';
import type { Reporter } from './reporter';

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

/** What a POST was, for the log: everything in a record but its outcome and time. */
export type PostLabel = Pick<DeliveryRecord, 'kind' | 'url' | 'eventId' | 'eventType' | 'attempt'>;

/** Every POST made to a receiver, oldest first, each also reported as a `delivery` event. */
export class DeliveryLog {
  private readonly entries: DeliveryRecord[] = [];

  constructor(private readonly reporter: Reporter) {}

  /** The live list: a caller holding it sees later records too, as `VoltSimulator.deliveries` always has. */
  get records(): readonly DeliveryRecord[] {
    return this.entries;
  }

  record(label: PostLabel, result: PostResult): void {
    const record: DeliveryRecord = { ...label, ...result, at: new Date().toISOString() };
    this.entries.push(record);
    this.reporter.emit({ type: 'delivery', record });
  }

  clear(): void {
    this.entries.length = 0;
  }
}
