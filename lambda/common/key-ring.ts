import type { KeyObject } from 'node:crypto';
import { KeysUnavailableError } from './errors';
import { parsePublicKeyDocument } from './keys';

/** Volt's published key location. */
export const DEFAULT_VOLT_PUBLIC_KEY_URL = 'https://callbacks.respondflow.com/id_rsa.pub';

/** How often a failed verification may trigger a refetch of the key URL, at most. */
export const DEFAULT_REFETCH_INTERVAL_MS = 5 * 60 * 1000;

export type FetchText = (url: string, timeoutMs: number) => Promise<string>;

export interface KeyRingOptions {
  /** Keys pinned in configuration. When set, the URL is never fetched. */
  readonly pinned?: readonly KeyObject[];
  /** Where to fetch the keys when none are pinned. @default DEFAULT_VOLT_PUBLIC_KEY_URL */
  readonly url?: string;
  /** Minimum time between two fetches of the URL. @default 5 minutes */
  readonly refetchIntervalMs?: number;
  /** Time budget of one fetch. @default 1500 ms, so a verification stays well inside Volt's ~2 s */
  readonly fetchTimeoutMs?: number;
  /** Injected for tests; the default uses the global `fetch`. */
  readonly fetchText?: FetchText;
  readonly now?: () => number;
}

const defaultFetchText: FetchText = async (url, timeoutMs) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return response.text();
};

/**
 * The trusted keys of one function instance. Pinned keys are used as they are. Otherwise the
 * key URL is fetched on first use, cached for the life of the instance, and refetched (at most
 * once per `refetchIntervalMs`) after a signature fails to verify, so a key rotation at Volt
 * heals by itself while a flood of bad signatures costs at most one fetch per interval.
 */
export class KeyRing {
  private keys: readonly KeyObject[];
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<readonly KeyObject[]> | undefined;
  private readonly url: string;
  private readonly refetchIntervalMs: number;
  private readonly fetchTimeoutMs: number;
  private readonly fetchText: FetchText;
  private readonly now: () => number;

  constructor(options: KeyRingOptions = {}) {
    this.keys = options.pinned ?? [];
    this.url = options.url ?? DEFAULT_VOLT_PUBLIC_KEY_URL;
    this.refetchIntervalMs = options.refetchIntervalMs ?? DEFAULT_REFETCH_INTERVAL_MS;
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 1500;
    this.fetchText = options.fetchText ?? defaultFetchText;
    this.now = options.now ?? Date.now;
    this.pinned = (options.pinned?.length ?? 0) > 0;
  }

  /** True when keys come from configuration rather than a URL. */
  readonly pinned: boolean;

  /** Why the last fetch failed, for logs; undefined after a successful one. */
  lastError: string | undefined;

  /** The keys to verify with. Throws {@link KeysUnavailableError} when none can be had (fail closed). */
  async current(): Promise<readonly KeyObject[]> {
    if (this.keys.length > 0) return this.keys;
    await this.fetch(true);
    if (this.keys.length === 0) throw new KeysUnavailableError(`no public key could be fetched from ${this.url}`);
    return this.keys;
  }

  /**
   * Called after a signature failed to verify. Refetches the URL when the last fetch is old
   * enough and returns the keys when they changed (so the caller verifies once more), else undefined.
   */
  async refreshAfterFailure(): Promise<readonly KeyObject[] | undefined> {
    if (this.pinned) return undefined;
    const before = this.keys;
    await this.fetch(false);
    return this.keys !== before && this.keys.length > 0 ? this.keys : undefined;
  }

  private async fetch(force: boolean): Promise<void> {
    if (this.inflight) {
      await this.inflight.catch(() => undefined);
      return;
    }
    if (!force && this.now() - this.lastFetchAt < this.refetchIntervalMs) return;
    // With no keys at all, retry fetching at most once a second rather than on every request.
    if (force && this.now() - this.lastFetchAt < 1000) return;
    this.lastFetchAt = this.now();
    this.inflight = this.fetchText(this.url, this.fetchTimeoutMs).then((text) =>
      parsePublicKeyDocument(text, this.url),
    );
    try {
      const fetched = await this.inflight;
      if (!sameKeys(fetched, this.keys)) this.keys = fetched;
      this.lastError = undefined;
    } catch (err: unknown) {
      // Keep the previous keys: a failed refetch must not lock out a working key.
      this.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      this.inflight = undefined;
    }
  }
}

function sameKeys(a: readonly KeyObject[], b: readonly KeyObject[]): boolean {
  return a.length === b.length && a.every((key, i) => b[i] !== undefined && key.equals(b[i]));
}
