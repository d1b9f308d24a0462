import type { KeyObject } from 'node:crypto';
import { createPublicKey } from 'node:crypto';
import { parsePublicKeyDocument } from '../../../../lambda/common/keys';
import { DEFAULT_SCHEME, SIGNATURE_HEADER, verifySignature } from '../../../../lambda/common/signature';
import {
  SimulatorStartError,
  startVoltSimulator,
  toOpenSshRsa,
  type SimulatorEvent,
  type VoltSimulator,
} from '../../../../local/volt-simulator';
import { closeServer, listen, serveRoutes } from '../../../../local/volt-simulator/http-server';
import { Lifetime } from '../../../../local/volt-simulator/lifetime';
import { OTHER_SCHEME, parseProbeMode, Signer } from '../../../../local/volt-simulator/signer';
import { SimulatorState } from '../../../../local/volt-simulator/state';
import { vendorEvent } from '../../../helpers/fixtures';
import { testKeyPair } from '../../../helpers/keys';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../../../helpers/webhook-receiver';

let sim: VoltSimulator;
let receiver: WebhookReceiver;
let servedKeys: KeyObject[];
const events: SimulatorEvent[] = [];

type Envelope = { type: string; id: string; time: number; payload: Record<string, unknown> };

/** `token: null` sends no Authorization header. */
async function gql(query: string, variables: Record<string, unknown> = {}, token: string | null = sim.token) {
  const response = await fetch(sim.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: response.status,
    body: (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: { code?: string } }[];
    },
  };
}

const REGISTER = 'mutation ($url: String!) { registerWebhook(url: $url) { id url createdAt } }';
const CREATE =
  'mutation ($to: String!, $from: String!, $body: String!) { createMessage(to: $to, from: $from, body: $body) { id status toNumber fromNumber } }';

async function register(url = receiver.url): Promise<string> {
  const { body } = await gql(REGISTER, { url });
  expect(body.errors).toBeUndefined();
  return (body.data?.registerWebhook as { id: string }).id;
}

async function sendMessage(to = '+15555550123'): Promise<string> {
  const { body } = await gql(CREATE, { to, from: '+15555550145', body: 'hello from the simulator' });
  expect(body.errors).toBeUndefined();
  return (body.data?.createMessage as { id: string }).id;
}

/** Deliveries of events (not the registration's test request), parsed, in arrival order. */
function delivered(): { request: ReceivedRequest; event: Envelope }[] {
  return receiver
    .signed()
    .map((request) => ({ request, event: JSON.parse(request.body.toString('utf8')) as Envelope }))
    .filter(({ event }) => event.payload.event_type !== 'webhook.test');
}

beforeAll(async () => {
  sim = await startVoltSimulator({ delivery: { gapMs: 10, retryBaseMs: 20 }, onEvent: (e) => events.push(e) });
  receiver = await startWebhookReceiver();
  servedKeys = parsePublicKeyDocument(await (await fetch(sim.publicKeyUrl)).text(), 'simulator key');
});

afterAll(async () => {
  await sim.stop();
  await receiver.close();
});

afterEach(async () => {
  await sim.idle();
  sim.reset();
  receiver.respondWith(() => 200);
  receiver.requests.length = 0;
  events.length = 0;
});

describe('public key', () => {
  it('keeps the delivery options given at start across reset()', () => {
    sim.setDeliveryOptions({ reorder: true });
    sim.reset();
    expect(sim.deliveryOptions).toMatchObject({ reorder: false, gapMs: 10, retryBaseMs: 20 });
  });

  it('serves one OpenSSH ssh-rsa line that is the public half of its signing key', async () => {
    const text = await (await fetch(sim.publicKeyUrl)).text();
    expect(text).toMatch(/^ssh-rsa AAAAB3NzaC1yc2E[A-Za-z0-9+/=]+ volt-simulator\n$/);
    expect(servedKeys).toHaveLength(1);
    expect(servedKeys[0]?.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(servedKeys[0]?.equals(createPublicKey(sim.privateKeyPem))).toBe(true);
  });

  it('encodes ssh-rsa exactly as an independent RFC 4253 writer does', () => {
    const pair = testKeyPair('default');
    expect(toOpenSshRsa(pair.publicKey, 'default@test')).toBe(pair.formats.sshRsa);
  });
});

describe('GraphQL API', () => {
  it('answers a missing or wrong token with an UNAUTHENTICATED error and HTTP 200', async () => {
    for (const token of [null, 'wrong-token']) {
      const { status, body } = await gql('{ webhooks { id } }', {}, token);
      expect(status).toBe(200);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(body.data).toBeUndefined();
    }
  });

  it('answers HTTP 401 for a wrong token when started with authFailure http-401', async () => {
    const strict = await startVoltSimulator({
      privateKeyPem: sim.privateKeyPem,
      authFailure: 'http-401',
      token: 'other',
    });
    try {
      const response = await fetch(strict.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
        body: '{"query":"{ webhooks { id } }"}',
      });
      expect(response.status).toBe(401);
    } finally {
      await strict.stop();
    }
  });

  it('registers a URL only after a signed test request to it got a 2xx, and lists it', async () => {
    const id = await register();
    const [probe] = receiver.requests;
    expect(probe?.method).toBe('POST');
    verifySignature(probe!.body, String(probe!.headers['x-respond-flow-signature']), servedKeys);
    const { body } = await gql('{ webhooks { id url primaryPhone eventTypes } }');
    expect(body.data?.webhooks).toEqual([{ id, url: receiver.url, primaryPhone: null, eventTypes: null }]);
  });

  it('refuses the registration with a GraphQL error when the URL answers the test request with 500', async () => {
    receiver.respondWith(() => 500);
    const { status, body } = await gql(REGISTER, { url: receiver.url });
    expect(status).toBe(200);
    expect(body.errors?.[0]?.message).toMatch(/test request failed.*HTTP 500/);
    expect(body.errors?.[0]?.extensions?.code).toBe('WEBHOOK_TEST_FAILED');
    expect(sim.listWebhooks()).toEqual([]);
  });

  it('answers deleteWebhook of an unknown id with a NOT_FOUND error', async () => {
    const { body } = await gql('mutation { deleteWebhook(id: "nope") { id } }');
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('answers an injected fault once, then serves normally', async () => {
    sim.injectApiFaults({ status: 503, retryAfterSeconds: 2 });
    const first = await fetch(sim.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.token}`, 'content-type': 'application/json' },
      body: '{"query":"{ webhooks { id } }"}',
    });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('2');
    const second = await gql('{ webhooks { id } }');
    expect(second.body.data).toEqual({ webhooks: [] });
  });
});

describe('deliveries', () => {
  it('delivers message.sent then message.finalized, each verifying with the served key', async () => {
    await register();
    const messageId = await sendMessage();
    await sim.idle();
    const got = delivered();
    expect(got.map((d) => d.event.payload.event_type)).toEqual(['message.sent', 'message.finalized']);
    for (const { request } of got) {
      expect(() =>
        verifySignature(request.body, String(request.headers['x-respond-flow-signature']), servedKeys),
      ).not.toThrow();
    }
    const [sent, finalized] = got.map((d) => d.event) as [Envelope, Envelope];
    expect(sent.payload.id).toBe(messageId);
    expect(messageId).toMatch(/^rf_[A-Za-z0-9]{20}$/);
    expect(sent.payload.message_app_id).toBe(finalized.payload.message_app_id);
    expect(sent.id).not.toBe(finalized.id);
    expect(sent.id).toMatch(/^rfw_[0-9a-f]{8}_[0-9a-f]{32}$/);
    expect(Date.parse(String(finalized.payload.occurred_at))).toBeGreaterThan(
      Date.parse(String(sent.payload.occurred_at)),
    );
    expect([sent.payload.status, finalized.payload.status]).toEqual(['sent', 'delivered']);
  });

  it('shapes events like the vendor examples', async () => {
    await register();
    await sendMessage();
    await sim.idle();
    const [sent, finalized] = delivered().map((d) => d.event) as [Envelope, Envelope];
    const vendorSent = vendorEvent('message-sent').json as Envelope;
    const vendorDelivered = vendorEvent('message-delivered').json as Envelope;
    expect(Object.keys(sent).sort()).toEqual(Object.keys(vendorSent).sort());
    expect(Object.keys(sent.payload).sort()).toEqual(Object.keys(vendorSent.payload).sort());
    expect(Object.keys(finalized.payload).sort()).toEqual(Object.keys(vendorDelivered.payload).sort());
    expect(sent.type).toBe('messaging');
    expect(sent.time).toBe(Math.floor(Date.parse(String(sent.payload.occurred_at)) / 1000));
    expect(String(sent.payload.occurred_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
  });

  it('fails a message to a failing recipient with the vendor failure fields', async () => {
    await register();
    await sendMessage('+15555550666');
    await sim.idle();
    const finalized = delivered()
      .map((d) => d.event)
      .find((e) => e.payload.event_type === 'message.finalized');
    const vendor = (vendorEvent('message-failed').json as Envelope).payload;
    expect(finalized?.payload).toMatchObject({
      status: 'failed',
      error_code: vendor.error_code,
      provider_error_code: vendor.provider_error_code,
      provider_error_title: vendor.provider_error_title,
      provider_error_detail: vendor.provider_error_detail,
      carrier_name: vendor.carrier_name,
    });
    const { body } = await gql('query ($id: ID!) { message(id: $id) { status statusDescription } }', {
      id: finalized?.payload.id,
    });
    expect(body.data?.message).toEqual({ status: 'failed', statusDescription: vendor.provider_error_title });
  });

  it('delivers message.finalized before message.sent with reorder, keeping occurred_at in true order', async () => {
    sim.setDeliveryOptions({ reorder: true });
    await register();
    await sendMessage();
    await sim.idle();
    const got = delivered().map((d) => d.event);
    expect(got.map((e) => e.payload.event_type)).toEqual(['message.finalized', 'message.sent']);
    expect(Date.parse(String(got[1]?.payload.occurred_at))).toBeLessThan(
      Date.parse(String(got[0]?.payload.occurred_at)),
    );
  });

  it('sends each event again, byte for byte, with duplicates', async () => {
    sim.setDeliveryOptions({ duplicates: 2 });
    await register();
    await sendMessage();
    await sim.idle();
    const got = delivered();
    expect(got).toHaveLength(6);
    const byId = new Map<string, ReceivedRequest[]>();
    for (const { request, event } of got) byId.set(event.id, [...(byId.get(event.id) ?? []), request]);
    expect(byId.size).toBe(2);
    for (const copies of byId.values()) {
      expect(copies).toHaveLength(3);
      expect(new Set(copies.map((c) => c.body.toString('base64'))).size).toBe(1);
      expect(new Set(copies.map((c) => c.headers['x-respond-flow-signature'])).size).toBe(1);
    }
  });

  it('retries a delivery that did not get a 2xx, with the same bytes', async () => {
    await register();
    receiver.respondWith((_request, index) => (index <= 2 ? 500 : 200)); // index 0 was the test request
    await sendMessage();
    await sim.idle();
    const sentCopies = delivered().filter((d) => d.event.payload.event_type === 'message.sent');
    expect(sentCopies.map((d) => d.request.status)).toEqual([500, 500, 200]);
    expect(new Set(sentCopies.map((d) => d.request.body.toString('base64'))).size).toBe(1);
    expect(sim.deliveries.filter((r) => r.eventType === 'message.sent').map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it('gives up after maxAttempts and reports it', async () => {
    await register();
    receiver.respondWith(() => 503);
    sim.setDeliveryOptions({ maxAttempts: 3 });
    await sendMessage();
    await sim.idle();
    expect(delivered().filter((d) => d.event.payload.event_type === 'message.sent')).toHaveLength(3);
    expect(
      events
        .filter((e) => e.type === 'delivery.gave-up')
        .map((e) => (e as { eventType: string }).eventType)
        .sort(),
    ).toEqual(['message.finalized', 'message.sent']);
  });

  it('waits delayMs before the first delivery', async () => {
    sim.setDeliveryOptions({ delayMs: 300 });
    await register();
    const started = Date.now();
    await sendMessage();
    await sim.idle();
    const first = sim.deliveries.find((r) => r.kind === 'event');
    expect(Date.parse(first?.at ?? '') - started).toBeGreaterThanOrEqual(290);
  });

  it('delivers a handset message as message.received with a null payload id', async () => {
    await register();
    const response = await fetch(`${sim.url}/control/inbound`, {
      method: 'POST',
      body: JSON.stringify({ from: '+15555550145', to: '+15555550123', body: 'hi there' }),
    });
    const answer = (await response.json()) as { webhookEventId: string; deliveredTo: number };
    expect(answer.deliveredTo).toBe(1);
    await sim.idle();
    const [received] = delivered();
    verifySignature(received!.request.body, String(received!.request.headers['x-respond-flow-signature']), servedKeys);
    expect(received?.event.id).toBe(answer.webhookEventId);
    expect(received?.event.payload).toMatchObject({
      id: null,
      event_type: 'message.received',
      status: 'webhook_delivered',
      direction: 'inbound',
      text: 'hi there',
    });
    expect(Object.keys(received?.event.payload ?? {}).sort()).toEqual(
      Object.keys((vendorEvent('message-received').json as Envelope).payload).sort(),
    );
  });
});

describe('start-up', () => {
  it('says plainly that a port is taken', async () => {
    await expect(startVoltSimulator({ port: sim.port, privateKeyPem: sim.privateKeyPem })).rejects.toThrow(
      SimulatorStartError,
    );
    await expect(startVoltSimulator({ port: sim.port, privateKeyPem: sim.privateKeyPem })).rejects.toThrow(
      `port ${sim.port} on 127.0.0.1 is already in use`,
    );
  });
});

describe('state', () => {
  it('sends an event type to registrations naming it in any case or punctuation, and to those naming none', () => {
    const state = new SimulatorState();
    state.addWebhook('http://a.test/sent', null, ['MESSAGE_SENT'], state.nextEventTime());
    state.addWebhook('http://a.test/received', null, ['message.received'], state.nextEventTime());
    state.addWebhook('http://a.test/all', null, [], state.nextEventTime());
    expect(state.targetsFor('message.sent')).toEqual(['http://a.test/sent', 'http://a.test/all']);
    expect(state.targetsFor('message.finalized')).toEqual(['http://a.test/all']);
  });

  it('hands out strictly increasing event times even within one millisecond', () => {
    const state = new SimulatorState();
    const times = Array.from({ length: 50 }, () => state.nextEventTime());
    for (let i = 1; i < times.length; i += 1) expect(times[i]).toBeGreaterThan(times[i - 1] ?? Infinity);
  });
});

describe('signer', () => {
  it('signs with the scheme a request asks for, and leaves an unsigned request without the header', () => {
    const pair = testKeyPair('default');
    const signer = new Signer(pair.privateKey);
    const body = '{"id":"rfw_1"}';
    const scheme = { padding: 'pss', hash: 'sha512', encoding: 'hex' } as const;
    const signed = signer.headersFor(body, { kind: 'signed', scheme });
    expect(() =>
      verifySignature(Buffer.from(body), String(signed[SIGNATURE_HEADER]), [pair.publicKey], scheme),
    ).not.toThrow();
    expect(() =>
      verifySignature(Buffer.from(body), String(signed[SIGNATURE_HEADER]), [pair.publicKey], DEFAULT_SCHEME),
    ).toThrow();
    expect(signer.headersFor(body, { kind: 'unsigned' })).toEqual({});
  });
});

describe('registration probe', () => {
  it('sends the test request without a signature when started with signTestRequest false', async () => {
    const unsigned = await startVoltSimulator({ privateKeyPem: sim.privateKeyPem, signTestRequest: false });
    try {
      await unsigned.registerWebhook(receiver.url);
      expect(receiver.requests).toHaveLength(1);
      expect(receiver.requests[0]?.headers[SIGNATURE_HEADER]).toBeUndefined();
      expect(unsigned.deliveries.map((d) => [d.kind, d.eventType, d.ok])).toEqual([['test', 'webhook.test', true]]);
    } finally {
      await unsigned.stop();
    }
  });
});

describe('registration probe modes', () => {
  const verifies = (r: ReceivedRequest | undefined, scheme: typeof DEFAULT_SCHEME) => {
    try {
      verifySignature(
        Buffer.from(r?.body ?? ''),
        r?.headers[SIGNATURE_HEADER] as string | undefined,
        servedKeys,
        scheme,
      );
      return true;
    } catch {
      return false;
    }
  };

  it('signs the test request with another scheme (PSS) in other-scheme mode, so the default one does not verify it', async () => {
    const other = await startVoltSimulator({ privateKeyPem: sim.privateKeyPem, probeMode: 'other-scheme' });
    try {
      await other.registerWebhook(receiver.url);
      const [probe] = receiver.requests;
      expect(verifies(probe, DEFAULT_SCHEME)).toBe(false);
      expect(verifies(probe, OTHER_SCHEME)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('switches mode while running: unsigned, then signed with the default scheme', async () => {
    const switching = await startVoltSimulator({ privateKeyPem: sim.privateKeyPem, probeMode: 'unsigned' });
    try {
      await switching.registerWebhook(receiver.url);
      switching.setProbeMode('signed');
      await switching.registerWebhook(receiver.url);
      expect(receiver.requests[0]?.headers[SIGNATURE_HEADER]).toBeUndefined();
      expect(verifies(receiver.requests[1], DEFAULT_SCHEME)).toBe(true);
    } finally {
      await switching.stop();
    }
  });

  it('refuses an unknown mode on the command line, naming the modes', () => {
    expect(parseProbeMode('other-scheme', '--probe')).toBe('other-scheme');
    expect(() => parseProbeMode('pss', '--probe')).toThrow(
      '--probe must be one of signed, unsigned, other-scheme, got "pss"',
    );
  });
});

describe('lifetime', () => {
  it('waits in idle() for work started while it waits, and cuts pauses short at stop()', async () => {
    const lifetime = new Lifetime();
    const done: string[] = [];
    lifetime.track(
      (async () => {
        await lifetime.pause(20);
        lifetime.track(lifetime.pause(20).then(() => void done.push('second')));
        done.push('first');
      })(),
    );
    await lifetime.idle();
    expect(done).toEqual(['first', 'second']);
    const started = Date.now();
    const long = lifetime.pause(60_000);
    await lifetime.stop();
    await expect(long).resolves.toBe(false);
    await expect(lifetime.pause(0)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('HTTP server', () => {
  it('answers 500 with the message when a route throws, and 404 naming the route when none matches', async () => {
    const server = await listen(0, '127.0.0.1');
    serveRoutes(server, [
      {
        method: 'GET',
        path: '/boom',
        handle: () => {
          throw new Error('kaboom');
        },
      },
    ]);
    const { port } = server.address() as { port: number };
    try {
      const boom = await fetch(`http://127.0.0.1:${port}/boom`);
      expect([boom.status, await boom.json()]).toEqual([500, { error: 'kaboom' }]);
      const missing = await fetch(`http://127.0.0.1:${port}/boom`, { method: 'POST' });
      expect([missing.status, await missing.json()]).toEqual([404, { error: 'no route POST /boom' }]);
    } finally {
      await closeServer(server);
    }
  });
});

describe('control API', () => {
  async function control(path: string, init?: RequestInit) {
    const response = await fetch(`${sim.url}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('queues faults posted to /control/faults for the next GraphQL requests', async () => {
    const queued = await control('/control/faults', {
      method: 'POST',
      body: JSON.stringify({ faults: [{ status: 429, retryAfterSeconds: 1 }, { status: 500 }] }),
    });
    expect(queued).toEqual({ status: 200, body: { queued: 2 } });
    expect((await gql('{ webhooks { id } }')).status).toBe(429);
    expect((await gql('{ webhooks { id } }')).status).toBe(500);
    expect((await gql('{ webhooks { id } }')).body.data).toEqual({ webhooks: [] });
  });

  it('changes the delivery options with /control/delivery-options and answers all of them', async () => {
    const answer = await control('/control/delivery-options', {
      method: 'POST',
      body: JSON.stringify({ duplicates: 1 }),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.delivery).toEqual({ ...sim.deliveryOptions, duplicates: 1 });
    expect(sim.deliveryOptions.duplicates).toBe(1);
  });

  it('answers an unknown endpoint 404, a GET to an action 405, and a body that is not an object 400', async () => {
    const post = (body: string): RequestInit => ({ method: 'POST', body });
    expect((await control('/control/nothing', post('{}'))).status).toBe(404);
    expect((await control('/control/inbound')).status).toBe(405);
    expect((await control('/control/inbound', post('[1, 2]'))).status).toBe(400);
    expect((await control('/control/delivery-options', post('not json'))).status).toBe(400);
    expect(sim.deliveryOptions).toMatchObject({ gapMs: 10, retryBaseMs: 20 });
  });
});
