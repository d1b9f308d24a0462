import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER, type ProbeOutcome } from '../../../../lambda/common/registration-window';
import {
  handleRegistrationEvent,
  PROBE_SIGNATURE_ATTRIBUTE,
  type RegistrationWindow,
  type VoltWebhookApi,
  waitForEndpoint,
} from '../../../../lambda/registration/registration';
import { VoltApiError, type VoltWebhook } from '../../../../lambda/registration/volt-api';

// The registration function's side of the registration window: opened before registerWebhook,
// read back after it, always closed.

const URL = 'https://abc.execute-api.us-east-1.amazonaws.com/webhooks';

function createEvent(): CloudFormationCustomResourceCreateEvent {
  return {
    RequestType: 'Create',
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:x',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/s/1',
    RequestId: 'r-1',
    LogicalResourceId: 'Registration',
    ResourceType: 'Custom::VoltWebhookRegistration',
    ResourceProperties: { ServiceToken: 'x', WebhookUrl: URL, ApiUrl: 'https://api.example.invalid/graphql' },
  };
}

function setup(options: { probe?: ProbeOutcome; register?: () => Promise<VoltWebhook>; existing?: VoltWebhook[] }) {
  const calls: string[] = [];
  const window: RegistrationWindow = {
    open: async (until) => {
      calls.push(`open ${until}`);
    },
    probe: async () => {
      calls.push('probe');
      return options.probe;
    },
    close: async () => {
      calls.push('close');
    },
  };
  const client: VoltWebhookApi = {
    listWebhooks: async () => options.existing ?? [],
    registerWebhook: async () => {
      calls.push('registerWebhook');
      return options.register ? options.register() : { id: 'wh-1', url: URL };
    },
    deleteWebhook: async () => undefined,
  };
  const warnings: string[] = [];
  const deps = {
    clientFor: () => client,
    log: { info: () => undefined, warn: (m: string) => warnings.push(m) },
    deadline: 10_000_000,
    now: () => 1_000_000,
    sleep: async (ms: number) => {
      calls.push(`sleep ${ms}`);
    },
    window,
  };
  return { deps, calls, warnings };
}

describe('registration window around registerWebhook', () => {
  it('opens the window, waits out the ingest cache, registers, reads the probe, then closes it', async () => {
    const { deps, calls } = setup({
      probe: { result: 'verified', matchingSchemes: [], configuredScheme: 'pkcs1-sha256-base64', receivedAt: '' },
    });
    const result = await handleRegistrationEvent(createEvent(), deps);
    expect(calls).toEqual(['open 1180000', 'sleep 2500', 'registerWebhook', 'probe', 'close', 'sleep 2500']);
    expect(result.Data?.[PROBE_SIGNATURE_ATTRIBUTE]).toBe('verified with the configured scheme pkcs1-sha256-base64');
  });

  it('closes the window when registerWebhook fails for good', async () => {
    const { deps, calls } = setup({
      register: () => Promise.reject(new VoltApiError('webhook failed to respond successfully', false, 200)),
    });
    await expect(handleRegistrationEvent(createEvent(), deps)).rejects.toThrow('webhook failed to respond');
    expect(calls.slice(-2)).toEqual(['close', 'sleep 2500']);
    expect(calls).not.toContain('probe');
  });

  it('warns and reports it when the probe came unsigned', async () => {
    const { deps, warnings } = setup({
      probe: {
        result: 'signature_missing',
        matchingSchemes: [],
        configuredScheme: 'pkcs1-sha256-base64',
        receivedAt: '',
      },
    });
    const result = await handleRegistrationEvent(createEvent(), deps);
    expect(result.Data?.[PROBE_SIGNATURE_ATTRIBUTE]).toBe('unsigned (no signature header)');
    expect(warnings).toContain('Volt probe signature');
  });

  it('reports when no probe came', async () => {
    const { deps } = setup({});
    const result = await handleRegistrationEvent(createEvent(), deps);
    expect(result.Data?.[PROBE_SIGNATURE_ATTRIBUTE]).toBe('no probe received during registration');
  });

  it('opens no window when it adopts an existing registration', async () => {
    const { deps, calls } = setup({ existing: [{ id: 'wh-0', url: URL }] });
    const result = await handleRegistrationEvent(createEvent(), deps);
    expect(calls).toEqual([]);
    expect(result.Data?.[PROBE_SIGNATURE_ATTRIBUTE]).toBe('not probed (adopted an existing registration)');
  });

  it('bounds the window by the deadline', async () => {
    const { deps, calls } = setup({});
    await handleRegistrationEvent(createEvent(), { ...deps, deadline: 1_060_000 });
    expect(calls[0]).toBe('open 1060000');
  });
});

describe('readiness check before registering', () => {
  it('is marked as our own check, unsigned, with the fixed body the ingest recognises', async () => {
    const sent: RequestInit[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      sent.push(init);
      return new Response('{}', { status: 401 });
    }) as typeof fetch;
    expect(await waitForEndpoint(URL, Date.now() + 120_000, { fetch: fakeFetch })).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.headers).toEqual({ 'content-type': 'application/json', [SELF_CHECK_HEADER]: 'readiness' });
    expect(sent[0]?.body).toBe(SELF_CHECK_BODY);
  });
});
