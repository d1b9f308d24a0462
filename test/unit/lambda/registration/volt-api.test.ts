import {
  backoffDelay,
  VoltApiError,
  VoltClient,
  VoltUnauthorizedError,
} from '../../../../lambda/registration/volt-api';
import { startVoltSimulator, type VoltSimulator } from '../../../../local/volt-simulator';

let sim: VoltSimulator;

beforeAll(async () => {
  sim = await startVoltSimulator({ authFailure: 'http-401' });
});
afterAll(() => sim.stop());
afterEach(() => sim.reset());

const client = (overrides: Partial<ConstructorParameters<typeof VoltClient>[0]> = {}) =>
  new VoltClient({
    apiUrl: sim.graphqlUrl,
    token: sim.token,
    retry: { baseDelayMs: 20, maxDelayMs: 100, requestTimeoutMs: 1000 },
    ...overrides,
  });

describe('VoltClient', () => {
  it('retries a request that got no answer in time', async () => {
    const retries: string[] = [];
    sim.injectApiFaults({ latencyMs: 1500 });
    await expect(client({ onRetry: (r) => retries.push(r.reason) }).listWebhooks()).resolves.toEqual([]);
    expect(retries).toEqual([expect.stringMatching(/no answer in time/)]);
  });

  it('stops retrying at the deadline and says for how long it tried', async () => {
    sim.injectApiFaults(...Array.from({ length: 100 }, () => ({ status: 500 })));
    const deadline = Date.now() + 400;
    await expect(client({ retry: { baseDelayMs: 50, maxDelayMs: 100, deadline } }).listWebhooks()).rejects.toThrow(
      /still failing after retrying for .* HTTP 500/,
    );
    expect(Date.now()).toBeLessThan(deadline + 200);
  });

  it('sends createMessage once, without retrying, since a retry could send the SMS twice', async () => {
    sim.injectApiFaults({ status: 503 });
    const error = await client()
      .createMessage({ to: '+15555550123', from: '+15555550145', body: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VoltApiError);
    expect((error as VoltApiError).message).toBe('Volt API answered HTTP 503: simulated HTTP 503');
    expect(sim.listWebhooks()).toEqual([]);
  });

  it('turns an HTTP 401 into an unauthorized error that is not retried', async () => {
    const retries: unknown[] = [];
    const error = await client({ token: 'wrong', onRetry: (r) => retries.push(r) })
      .listWebhooks()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VoltUnauthorizedError);
    expect(String(error)).not.toContain('wrong');
    expect(retries).toEqual([]);
  });
});

describe('backoffDelay', () => {
  it('doubles per retry between half and all of the ceiling, capped', () => {
    expect(backoffDelay(1, 500, 8000, () => 0)).toBe(250);
    expect(backoffDelay(3, 500, 8000, () => 1)).toBe(2000);
    expect(backoffDelay(10, 500, 8000, () => 1)).toBe(8000);
  });
});
