import { createServer } from 'node:http';
import { LocalHttpApi, TokenBucket, type HttpRequestLog, type ThrottleSettings } from '../../../../local/http-api';
import type { LocalFunction } from '../../../../local/lambda-runtime';
import { listen, type ListeningServer } from '../../../../local/standins';

// The local HTTP API's throttle: API Gateway's token bucket per route, and its 429 answer.

describe('TokenBucket', () => {
  function bucket(settings: ThrottleSettings) {
    let now = 0;
    const b = new TokenBucket(settings, () => now);
    return {
      take: (n: number) => Array.from({ length: n }, () => b.tryTake()).filter(Boolean).length,
      advance: (ms: number) => (now += ms),
    };
  }

  it('starts full: a burst of burstLimit requests passes at once, the next one does not', () => {
    const b = bucket({ rateLimit: 10, burstLimit: 20 });
    expect(b.take(25)).toBe(20);
  });

  it('refills at rateLimit per second, never beyond burstLimit', () => {
    const b = bucket({ rateLimit: 10, burstLimit: 20 });
    b.take(20);
    b.advance(500);
    expect(b.take(10)).toBe(5);
    b.advance(60_000);
    expect(b.take(100)).toBe(20);
  });

  it('sustains exactly the rate once the burst is spent', () => {
    const b = bucket({ rateLimit: 100, burstLimit: 5 });
    b.take(5);
    let admitted = 0;
    // 10 s of requests at 1,000/s, one every millisecond.
    for (let ms = 0; ms < 10_000; ms++) {
      b.advance(1);
      admitted += b.take(1);
    }
    expect(admitted).toBe(1000);
  });

  it('refuses everything with a burst of 0, as API Gateway does', () => {
    const b = bucket({ rateLimit: 100, burstLimit: 0 });
    b.advance(10_000);
    expect(b.take(10)).toBe(0);
  });
});

describe('LocalHttpApi throttling', () => {
  let server: ListeningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  // Only what the API reads of a function: its name and invoke().
  const invoked: unknown[] = [];
  const target = {
    definition: { displayName: 'Ingest' },
    invoke: async (event: unknown) => {
      invoked.push(event);
      return { value: { statusCode: 200, body: 'ok' } };
    },
  } as unknown as LocalFunction;

  async function start(options: Partial<ConstructorParameters<typeof LocalHttpApi>[0]>) {
    const logs: HttpRequestLog[] = [];
    const api = new LocalHttpApi({
      apiId: 'api',
      stage: '$default',
      accountId: '000000000000',
      onRequest: (l) => logs.push(l),
      ...options,
    });
    api.setRoutes([
      { routeKey: 'POST /webhooks', target },
      { routeKey: 'GET /health', target },
    ]);
    server = await listen(createServer(api.handler), 0, '127.0.0.1', 'HTTP API', '');
    const url = server.url;
    const post = async (path = '/webhooks', method = 'POST') => {
      const res = await fetch(`${url}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      return { status: res.status, body: await res.text() };
    };
    return { post, logs };
  }

  beforeEach(() => (invoked.length = 0));

  it("answers 429 with API Gateway's body beyond the burst, without invoking the function", async () => {
    let now = 0;
    const { post, logs } = await start({ throttle: { rateLimit: 1, burstLimit: 3 }, now: () => now });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post()));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(3);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(5);
    for (const a of refused) expect(JSON.parse(a.body)).toEqual({ message: 'Too Many Requests' });
    expect(invoked).toHaveLength(3);
    expect(logs.filter((l) => l.statusCode === 429)).toHaveLength(5);
    expect(logs.find((l) => l.statusCode === 429)).toMatchObject({ routeKey: 'POST /webhooks' });
    // A second later the bucket holds one token again.
    now += 1000;
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(429);
  });

  it('gives every route a bucket of its own, and a route setting overrides the default', async () => {
    const { post } = await start({
      throttle: { rateLimit: 1, burstLimit: 2 },
      routeThrottles: { 'GET /health': { rateLimit: 1, burstLimit: 5 } },
      now: () => 0,
    });
    const webhooks = await Promise.all(Array.from({ length: 4 }, () => post()));
    const health = await Promise.all(Array.from({ length: 7 }, () => post('/health', 'GET')));
    expect(webhooks.map((a) => a.status).sort()).toEqual([200, 200, 429, 429]);
    expect(health.filter((a) => a.status === 200)).toHaveLength(5);
  });

  it('never answers 429 without a throttle, as a template without route settings', async () => {
    const { post } = await start({ now: () => 0 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => post()));
    expect(answers.every((a) => a.status === 200)).toBe(true);
  });

  it('answers 404 for an unknown route before any bucket is touched', async () => {
    const { post } = await start({ throttle: { rateLimit: 1, burstLimit: 1 }, now: () => 0 });
    expect((await post('/nowhere')).status).toBe(404);
    expect((await post()).status).toBe(200);
  });
});
