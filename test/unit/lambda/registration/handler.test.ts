import { TOKEN_SECRET_ID } from '../../../helpers/registration-env';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type {
  CloudFormationCustomResourceCreateEvent,
  CloudFormationCustomResourceDeleteEvent,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../../lambda/registration/handler';
import { REGISTRATION_RESOURCE_TYPE } from '../../../../lib/template-contract';
import { startVoltSimulator, type SimulatorEvent, type VoltSimulator } from '../../../../local/volt-simulator';
import { startWebhookReceiver, type WebhookReceiver } from '../../../helpers/webhook-receiver';

const TOKEN = 'volt-token-3f9c1e7a';
const secrets = mockClient(SecretsManagerClient);
let sim: VoltSimulator;
let receiver: WebhookReceiver;
const simEvents: SimulatorEvent[] = [];
const logged: string[] = [];
/** Every log line of the whole file, never cleared. */
const allLogged: string[] = [];

const context = (remainingMs = 60_000) => ({ getRemainingTimeInMillis: () => remainingMs });

function properties(
  url: string,
  extra: Record<string, unknown> = {},
  api: VoltSimulator = sim,
): Record<string, unknown> {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    WebhookUrl: url,
    ApiUrl: api.graphqlUrl,
    ...extra,
  };
}

const common = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/secret-presigned',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/VoltSmsWebhooks/1',
  RequestId: 'req-1',
  LogicalResourceId: 'Registration',
  ResourceType: REGISTRATION_RESOURCE_TYPE,
};

function createEvent(props: Record<string, unknown>): CloudFormationCustomResourceCreateEvent {
  return {
    ...common,
    RequestType: 'Create',
    ResourceProperties: props as CloudFormationCustomResourceCreateEvent['ResourceProperties'],
  };
}

function updateEvent(
  id: string,
  props: Record<string, unknown>,
  old: Record<string, unknown>,
): CloudFormationCustomResourceUpdateEvent {
  return {
    ...common,
    RequestType: 'Update',
    PhysicalResourceId: id,
    ResourceProperties: props as CloudFormationCustomResourceUpdateEvent['ResourceProperties'],
    OldResourceProperties: old as CloudFormationCustomResourceUpdateEvent['OldResourceProperties'],
  };
}

function deleteEvent(id: string, props: Record<string, unknown>): CloudFormationCustomResourceDeleteEvent {
  return {
    ...common,
    RequestType: 'Delete',
    PhysicalResourceId: id,
    ResourceProperties: props as CloudFormationCustomResourceDeleteEvent['ResourceProperties'],
  };
}

async function run(event: CloudFormationCustomResourceEvent, remainingMs?: number) {
  return handler(event, context(remainingMs));
}

beforeAll(async () => {
  sim = await startVoltSimulator({ token: TOKEN, onEvent: (e) => simEvents.push(e) });
  receiver = await startWebhookReceiver();
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
      logged.push(line);
      allLogged.push(line);
    });
  }
});

afterAll(async () => {
  jest.restoreAllMocks();
  await sim.stop();
  await receiver.close();
});

beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand, { SecretId: TOKEN_SECRET_ID }).resolves({ SecretString: TOKEN });
  sim.reset();
  receiver.respondWith(() => 200);
  receiver.requests.length = 0;
  simEvents.length = 0;
});

describe('Create', () => {
  it("registers the URL and returns Volt's webhook id as the physical id", async () => {
    const result = await run(createEvent(properties(receiver.url)));
    const [webhook] = sim.listWebhooks();
    expect(sim.listWebhooks()).toHaveLength(1);
    expect(result).toEqual({
      PhysicalResourceId: webhook?.id,
      Data: {
        WebhookId: webhook?.id,
        WebhookUrl: receiver.url,
        ProbeSignature: 'not watched (no registration window)',
      },
    });
    expect(webhook?.url).toBe(receiver.url);
    expect(receiver.signed()).toHaveLength(1); // Volt's test request
  });

  it('reads the token from a JSON secret with a "token" field', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ token: TOKEN }) });
    await run(createEvent(properties(receiver.url)));
    expect(sim.listWebhooks()).toHaveLength(1);
  });

  it('adopts an existing registration of the same URL instead of registering again', async () => {
    const existing = await sim.registerWebhook(receiver.url);
    receiver.requests.length = 0;
    const result = await run(createEvent(properties(receiver.url)));
    expect(result.PhysicalResourceId).toBe(existing.id);
    expect(sim.listWebhooks().map((w) => w.id)).toEqual([existing.id]);
    expect(receiver.signed()).toHaveLength(0);
  });

  it('passes primaryPhone and eventTypes to Volt', async () => {
    const result = await run(
      createEvent(properties(receiver.url, { PrimaryPhone: '+15555550145', EventTypes: ['message.received'] })),
    );
    expect(sim.listWebhooks()).toEqual([
      expect.objectContaining({
        id: result.PhysicalResourceId,
        primaryPhone: '+15555550145',
        eventTypes: ['message.received'],
      }),
    ]);
  });

  it("fails with Volt's message when the URL answers the test request with 500", async () => {
    receiver.respondWith(() => 500);
    await expect(run(createEvent(properties(receiver.url)))).rejects.toThrow(
      /Volt API error: Webhook test request failed: .* answered HTTP 500/,
    );
    expect(sim.listWebhooks()).toEqual([]);
    expect(receiver.signed()).toHaveLength(1);
  });

  it('fails, naming the token, when Volt rejects it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'not-the-token' });
    await expect(run(createEvent(properties(receiver.url)))).rejects.toThrow(
      /Volt rejected the API token: Unauthorized/,
    );
    expect(sim.listWebhooks()).toEqual([]);
  });

  it('fails clearly when the secret cannot be read', async () => {
    secrets.on(GetSecretValueCommand).rejects(
      Object.assign(new Error('Secrets Manager can’t find the specified secret.'), {
        name: 'ResourceNotFoundException',
      }),
    );
    await expect(run(createEvent(properties(receiver.url)))).rejects.toThrow(
      `cannot read the Volt API token from secret ${TOKEN_SECRET_ID}: ResourceNotFoundException`,
    );
  });

  it('fails at once with the message of any other GraphQL error', async () => {
    const owned = await startVoltSimulator({
      token: TOKEN,
      privateKeyPem: sim.privateKeyPem,
      ownedNumbers: ['+15555550145'],
    });
    try {
      const started = Date.now();
      await expect(run(createEvent(properties(receiver.url, { PrimaryPhone: '+15555550999' }, owned)))).rejects.toThrow(
        'Volt API error: The number +15555550999 does not belong to this organization (FORBIDDEN)',
      );
      expect(Date.now() - started).toBeLessThan(2000);
      expect(owned.listWebhooks()).toEqual([]);
    } finally {
      await owned.stop();
    }
  });

  it('retries 5xx, 429 and dropped connections, and registers exactly once', async () => {
    // Request 1 (webhooks) passes; registerWebhook gets a 503; the re-check sees a 429 (Retry-After 1) then a dropped connection.
    sim.injectApiFaults({}, { status: 503 }, { status: 429, retryAfterSeconds: 1 }, { reset: true });
    const result = await run(createEvent(properties(receiver.url)));
    expect(sim.listWebhooks().map((w) => w.id)).toEqual([result.PhysicalResourceId]);
    expect(logged.join('\n')).toMatch(/registerWebhook failed, checking and retrying/);
    expect(logged.join('\n')).toMatch(/Volt API call failed, retrying/);
  });

  it('rides out a slow API', async () => {
    sim.injectApiFaults({ latencyMs: 800 }, { latencyMs: 800 });
    const result = await run(createEvent(properties(receiver.url)));
    expect(sim.listWebhooks().map((w) => w.id)).toEqual([result.PhysicalResourceId]);
  });

  it('gives up inside its time budget when the API keeps failing', async () => {
    sim.injectApiFaults(...Array.from({ length: 50 }, () => ({ status: 502 })));
    const started = Date.now();
    try {
      // 15 s left on the clock leaves a 5 s budget after the margin kept for answering.
      await expect(run(createEvent(properties(receiver.url)), 15_000)).rejects.toThrow(
        /Volt API still failing after retrying for .* HTTP 502/,
      );
    } finally {
      sim.clearApiFaults();
    }
    expect(Date.now() - started).toBeLessThan(6000);
    expect(sim.listWebhooks()).toEqual([]);
  }, 15_000);
});

describe('Update', () => {
  it('registers the new URL before deleting the old one', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    simEvents.length = 0;
    const newUrl = receiver.urlFor('/v2/webhooks');
    const result = await run(updateEvent(created.PhysicalResourceId, properties(newUrl), properties(receiver.url)));
    expect(result.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
    const order = simEvents
      .filter((e) => e.type === 'webhook.registered' || e.type === 'webhook.deleted')
      .map((e) => `${e.type} ${'webhook' in e ? e.webhook.url : ''}`);
    expect(order).toEqual([`webhook.registered ${newUrl}`, `webhook.deleted ${receiver.url}`]);
    expect(sim.listWebhooks().map((w) => w.url)).toEqual([newUrl]);
  });

  it('re-registers when only the options changed', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    const result = await run(
      updateEvent(
        created.PhysicalResourceId,
        properties(receiver.url, { EventTypes: ['message.finalized'] }),
        properties(receiver.url),
      ),
    );
    expect(sim.listWebhooks()).toEqual([
      expect.objectContaining({ id: result.PhysicalResourceId, eventTypes: ['message.finalized'] }),
    ]);
  });

  it('keeps the registration when nothing Volt knows about changed', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    simEvents.length = 0;
    const result = await run(
      updateEvent(created.PhysicalResourceId, properties(receiver.url), properties(receiver.url)),
    );
    expect(result.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(simEvents.filter((e) => e.type.startsWith('webhook.'))).toEqual([]);
  });

  it('succeeds when the old registration was already deleted outside CloudFormation', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    sim.deleteWebhook(created.PhysicalResourceId);
    const newUrl = receiver.urlFor('/v3/webhooks');
    const result = await run(updateEvent(created.PhysicalResourceId, properties(newUrl), properties(receiver.url)));
    expect(sim.listWebhooks().map((w) => w.id)).toEqual([result.PhysicalResourceId]);
  });
});

describe('Delete', () => {
  it('deletes the registration', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    const result = await run(deleteEvent(created.PhysicalResourceId, properties(receiver.url)));
    expect(result.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(sim.listWebhooks()).toEqual([]);
  });

  it('succeeds with a warning when the webhook is already gone', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    sim.deleteWebhook(created.PhysicalResourceId);
    logged.length = 0;
    await expect(run(deleteEvent(created.PhysicalResourceId, properties(receiver.url)))).resolves.toEqual({
      PhysicalResourceId: created.PhysicalResourceId,
    });
    expect(logged.join('\n')).toMatch(/already gone/);
  });

  it('succeeds with a warning when the API cannot delete webhooks', async () => {
    const noDelete = await startVoltSimulator({
      token: TOKEN,
      privateKeyPem: sim.privateKeyPem,
      supportsDelete: false,
    });
    try {
      const created = await run(createEvent(properties(receiver.url, {}, noDelete)));
      logged.length = 0;
      await expect(
        run(deleteEvent(created.PhysicalResourceId, properties(receiver.url, {}, noDelete))),
      ).resolves.toBeDefined();
      expect(logged.join('\n')).toMatch(/cannot delete webhooks/);
      expect(noDelete.listWebhooks()).toHaveLength(1);
    } finally {
      await noDelete.stop();
    }
  });

  it('fails, rather than leave a registration behind silently, when Volt rejects the token', async () => {
    const created = await run(createEvent(properties(receiver.url)));
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'expired' });
    await expect(run(deleteEvent(created.PhysicalResourceId, properties(receiver.url)))).rejects.toThrow(
      /Volt rejected the API token/,
    );
    expect(sim.listWebhooks()).toHaveLength(1);
  });
});

describe('secrecy', () => {
  it('never writes the token or the response URL to the logs', () => {
    expect(allLogged.length).toBeGreaterThan(20);
    const all = allLogged.join('\n');
    expect(all).toContain('registration request');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('secret-presigned');
  });
});
