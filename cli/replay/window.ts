import { UsageError } from '../command';

/**
 * What one `volt-webhooks replay` run selects from the archive: deliveries received in
 * [`since`, `until`), optionally of some event types only.
 */
export interface ReplayWindow {
  readonly since: Date;
  readonly until: Date;
  /** Only these event types; every type when absent. */
  readonly eventTypes?: readonly string[];
}

// A date alone, or a date and time with seconds optional, a fraction optional and a zone
// required: a time without a zone would mean the machine's zone, and the same command run from
// two machines would replay two different windows.
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses `--since`/`--until`: ISO 8601 with a zone (`2026-11-29T10:00:00Z`, `...+01:00`) or a
 * date alone (midnight UTC). Absolute only: a relative time ("2h ago") would name another
 * window on every run, and an interrupted replay could not find its progress again.
 */
export function parseInstant(text: string, flag: string): Date {
  const trimmed = text.trim();
  const date = INSTANT.test(trimmed) ? new Date(trimmed) : undefined;
  if (date === undefined || Number.isNaN(date.getTime()))
    throw new UsageError(
      `${flag} must be an ISO 8601 time with a zone (2026-11-29T10:00:00Z) or a date (2026-11-29), got "${text}"`,
    );
  return date;
}

/** The window of `--since`, `--until` and `--event-types` (comma-separated, repeatable). */
export function parseWindow(since: string | undefined, until: string | undefined, eventTypes?: string[]): ReplayWindow {
  if (since === undefined || until === undefined) throw new UsageError('--since and --until are required');
  const window = { since: parseInstant(since, '--since'), until: parseInstant(until, '--until') };
  if (window.until.getTime() <= window.since.getTime()) throw new UsageError('--until must be later than --since');
  const types = (eventTypes ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (eventTypes !== undefined && types.length === 0) throw new UsageError('--event-types needs at least one type');
  return types.length > 0 ? { ...window, eventTypes: [...new Set(types)].sort() } : window;
}

/** True when a record received at `receivedAt` of `eventType` belongs to the window. */
export function inWindow(window: ReplayWindow, receivedAt: string, eventType: string): boolean {
  const at = Date.parse(receivedAt);
  if (Number.isNaN(at) || at < window.since.getTime() || at >= window.until.getTime()) return false;
  return window.eventTypes === undefined || window.eventTypes.includes(eventType);
}

/**
 * The window as a subscriber that takes only `subscribed` event types would receive it: the
 * ingest never sends it the others, and a replay must not either. Without `--event-types` the
 * window takes the subscriber's types; with it, a type the subscriber does not take is refused.
 */
export function windowForSubscriber(
  window: ReplayWindow,
  subscriber: string,
  subscribed: readonly string[] | undefined,
): ReplayWindow {
  if (subscribed === undefined) return window;
  if (window.eventTypes === undefined) return { ...window, eventTypes: [...new Set(subscribed)].sort() };
  const outside = window.eventTypes.filter((t) => !subscribed.includes(t));
  if (outside.length > 0)
    throw new UsageError(
      `--event-types ${outside.join(',')}: subscriber "${subscriber}" receives only ${subscribed.join(', ')}`,
    );
  return window;
}
