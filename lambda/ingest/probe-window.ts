import {
  WINDOW_CACHE_MS,
  WINDOW_ITEM_KEY,
  WINDOW_KEY_ATTRIBUTE,
  WINDOW_OPEN_UNTIL_ATTRIBUTE,
  WINDOW_PROBE_ATTRIBUTE,
  type ProbeOutcome,
} from '../common/registration-window';

/**
 * The ingest's view of the registration window (lambda/common/registration-window.ts), with
 * the DynamoDB calls passed in so that it is tested without a client.
 */

/** `GetItem` of the window item, strongly consistent; resolves to its `openUntil`, if any. */
export type ReadOpenUntil = () => Promise<number | undefined>;
/** Writes the probe's outcome on the window item if it is still open and holds none yet. */
export type WriteProbe = (outcome: ProbeOutcome, now: number) => Promise<void>;

export class ProbeWindow {
  private cached: { readonly open: boolean; readonly at: number } | undefined;
  private pending: Promise<boolean> | undefined;

  constructor(
    private readonly read: ReadOpenUntil,
    private readonly write: WriteProbe,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True while the window is open. Read at most once per {@link WINDOW_CACHE_MS} per instance
   * (concurrent callers share the read), so a flood of forged requests costs a read every
   * two seconds, not one per request. A read that fails counts as closed: a 401 is the safe answer.
   */
  async isOpen(): Promise<boolean> {
    const t = this.now();
    if (this.cached && t - this.cached.at < WINDOW_CACHE_MS) return this.cached.open;
    this.pending ??= this.read()
      .then((until) => {
        const open = until !== undefined && until > this.now();
        this.cached = { open, at: t };
        return open;
      })
      // Not cached: one slow read (a cold client) must not answer Volt's probe 401 for two seconds.
      .catch(() => false)
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /** Records the probe for the registration to report; a failure is the caller's to log. */
  record(outcome: ProbeOutcome): Promise<void> {
    return this.write(outcome, this.now());
  }
}

/** The window item's key, as DynamoDB's low-level API takes it. */
export const WINDOW_KEY = { [WINDOW_KEY_ATTRIBUTE]: { S: WINDOW_ITEM_KEY } } as const;

/** The update that writes the first probe of an open window, and nothing after it closed. */
export function probeUpdate(
  tableName: string,
  outcome: ProbeOutcome,
  now: number,
): {
  TableName: string;
  Key: typeof WINDOW_KEY;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, { S: string } | { N: string }>;
} {
  return {
    TableName: tableName,
    Key: WINDOW_KEY,
    UpdateExpression: 'SET #probe = :probe',
    // The first probe wins: Volt's own comes first, right after registerWebhook is called.
    ConditionExpression: '#until > :now AND attribute_not_exists(#probe)',
    ExpressionAttributeNames: { '#probe': WINDOW_PROBE_ATTRIBUTE, '#until': WINDOW_OPEN_UNTIL_ATTRIBUTE },
    ExpressionAttributeValues: { ':probe': { S: JSON.stringify(outcome) }, ':now': { N: String(now) } },
  };
}
