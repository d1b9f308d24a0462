import type { DeliveryLog } from './delivery-log';
import { apiError } from './errors';
import { buildTestEvent } from './events';
import { postBody, type PostResult } from './http-post';
import type { RequestSigning, Signer } from './signer';
import type { SimulatorState } from './state';

/** How long the test request waits for an answer. */
const PROBE_TIMEOUT_MS = 5000;

export interface RegistrationProbeDeps {
  readonly state: SimulatorState;
  readonly signer: Signer;
  readonly log: DeliveryLog;
}

/**
 * The test request `registerWebhook` sends to a URL before registering it. What Volt really
 * sends, and whether it is signed, is unknown: `signing` says how this one is, so another way
 * of signing it is a new {@link RequestSigning} variant, not a change here.
 */
export class RegistrationProbe {
  constructor(
    private readonly deps: RegistrationProbeDeps,
    private signing: RequestSigning,
  ) {}

  /** Signs the next test requests another way (a running simulator's probe mode). */
  setSigning(signing: RequestSigning): void {
    this.signing = signing;
  }

  /** Resolves when the URL answered 2xx; throws the `WEBHOOK_TEST_FAILED` API error otherwise. */
  async check(url: string, occurredAt: number): Promise<void> {
    const { state, signer, log } = this.deps;
    const eventId = state.newEventId();
    const body = JSON.stringify(buildTestEvent(eventId, url, occurredAt));
    const result = await postBody(url, body, signer.headersFor(body, this.signing), PROBE_TIMEOUT_MS);
    log.record({ kind: 'test', url, eventId, eventType: 'webhook.test', attempt: 1 }, result);
    if (!result.ok) throw testFailed(url, result);
  }
}

function testFailed(url: string, result: PostResult): Error {
  const why =
    result.status !== undefined
      ? `answered HTTP ${result.status}`
      : `could not be reached (${result.error ?? 'unknown error'})`;
  return apiError(
    `Webhook test request failed: ${url} ${why}; the endpoint must answer the test request with a 2xx status`,
    'WEBHOOK_TEST_FAILED',
  );
}
