import { vendorEvent } from './fixtures';

/** Overrides for one synthetic Volt event; `null` removes a payload field. */
export interface EventSpec {
  readonly webhookId: string;
  readonly eventType?: string;
  readonly status?: string | null;
  readonly occurredAt?: string | null;
  readonly messageId?: string;
  /** Payload fields to add or replace (`null` values are kept as null, as Volt sends them). */
  readonly payload?: Record<string, unknown>;
}

const FAILURE_FIELDS = [
  'error_code',
  'provider_error_code',
  'provider_error_title',
  'provider_error_detail',
  'carrier_name',
];

/**
 * A raw webhook body built on the vendor's `message-sent` example: outbound, one message id,
 * with the given webhook id, type, status and time. A `failed` status adds the vendor's failure details.
 */
export function eventBody(spec: EventSpec): string {
  const base = vendorEvent(spec.status === 'failed' ? 'message-failed' : 'message-sent').json as {
    payload: Record<string, unknown>;
  };
  const payload: Record<string, unknown> = { ...base.payload };
  if (spec.status !== 'failed') for (const f of FAILURE_FIELDS) delete payload[f];
  if (spec.eventType !== undefined) payload.event_type = spec.eventType;
  if (spec.status !== undefined) payload.status = spec.status;
  if (spec.occurredAt !== undefined) payload.occurred_at = spec.occurredAt;
  if (spec.messageId !== undefined) payload.id = spec.messageId;
  Object.assign(payload, spec.payload ?? {});
  return JSON.stringify({ type: 'messaging', id: spec.webhookId, payload });
}
