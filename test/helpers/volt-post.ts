/**
 * POSTs a webhook as Volt delivers one: a 503 (the ingest's "try again": a queue was slow or
 * down) or a 429 is retried after a short pause, a few times, as Volt's retries would. On a
 * loaded test machine the local SQS stand-in can miss the ingest's 1 s send deadline, and the
 * product's answer to that is a 503 that Volt retries; a test of what ends up stored must retry
 * too, or it tests the machine's load instead of the product.
 */
export interface VoltPostResult {
  /** The last answer's status. */
  readonly status: number;
  /** The retryable answers before it. */
  readonly retried: number;
}

const RETRYABLE = new Set([429, 503]);

export async function postLikeVolt(url: string, init: RequestInit, attempts = 4): Promise<VoltPostResult> {
  for (let retried = 0; ; retried += 1) {
    const res = await fetch(url, { method: 'POST', ...init });
    await res.arrayBuffer();
    if (!RETRYABLE.has(res.status) || retried + 1 >= attempts) return { status: res.status, retried };
    await new Promise((resolve) => setTimeout(resolve, 250 * (retried + 1)));
  }
}
