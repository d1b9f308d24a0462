import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The simulator's background work (deliveries, their waits and retries) and the signal that
 * abandons it: `idle()` waits for the work, `stop()` cuts every wait short so nothing outlives the server.
 */
export class Lifetime {
  private readonly inflight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Runs `work` in the background; `idle()` waits for it. Its failure is the work's own business. */
  track(work: Promise<void>): void {
    const tracked = work.catch(() => undefined).finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  /** Sleeps unless stopping; false when the simulator is stopping and the caller should give up. */
  async pause(ms: number): Promise<boolean> {
    if (this.stopped) return false;
    if (ms <= 0) return true;
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal });
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves when no tracked work is pending, including work started while waiting. */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Cuts every pause short, then waits for the work to wind down. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.idle();
  }
}
