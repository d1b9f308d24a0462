/** What a wait polls: a value once the awaited thing happened, `undefined` until then. */
export type Probe<T> = () => Promise<T | undefined> | T | undefined;

/** Polls a probe until it yields a value; fails naming what it waited for after the timeout. */
export type WaitFor = <T>(what: string, probe: Probe<T>, timeoutMs?: number) => Promise<T>;

/**
 * A `waitFor` for one test file: how long it waits by default suits what that file waits for
 * (a batch on a 1 s visibility timeout, or redeliveries after a fault).
 */
export function waiter(defaults: { readonly timeoutMs: number; readonly intervalMs?: number }): WaitFor {
  const intervalMs = defaults.intervalMs ?? 100;
  return async <T>(what: string, probe: Probe<T>, timeoutMs = defaults.timeoutMs): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
}
