import type { UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER } from '../../../../lambda/common/registration-window';
import { signBody } from '../../../../lambda/common/signature';
import { parseQuarantineRecord } from '../../../../lambda/ingest/quarantine';
import { webhookEvent } from '../../../helpers/api-event';
import { loadIngestHarness, type IngestHarness } from '../../../helpers/ingest-harness';
import { testKeyPair } from '../../../helpers/keys';

// The handler's side of the registration window and of our own checks: logs, metrics, the
// quarantine and the probe written back for the registration.

const volt = testKeyPair('volt');
const STATE = 'https://sqs.us-east-1.amazonaws.com/123456789012/state';
const QUARANTINE = 'https://sqs.us-east-1.amazonaws.com/123456789012/quarantine';
const testEvent = JSON.stringify({
  type: 'messaging',
  id: 'rfw_test_1',
  payload: { id: null, message_app_id: null, event_type: 'webhook.test' },
});

function load(windowOpenUntil: number | undefined): IngestHarness {
  const harness = loadIngestHarness({
    TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
    VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.sshRsa]),
    QUARANTINE_QUEUE_URL: QUARANTINE,
    REGISTRATION_WINDOW_TABLE: 'window-table',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_DEV: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
  });
  if (windowOpenUntil !== undefined)
    harness.dynamodb.on(harness.GetItem).resolves({ Item: { openUntil: { N: String(windowOpenUntil) } } });
  return harness;
}

async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const raw: string[] = [];
  const capture = (chunk: unknown): boolean => {
    raw.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    const result = await fn();
    return { result, lines: raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const metricNames = (lines: Record<string, unknown>[]) =>
  lines
    .filter((l) => l['_aws'] !== undefined)
    .flatMap((l) => (l['_aws'] as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics)
    .flatMap((d) => d.Metrics.map((m) => m.Name));
const levels = (lines: Record<string, unknown>[]) =>
  lines.filter((l) => typeof l['level'] === 'string').map((l) => l['level']);
const sentTo = (h: IngestHarness, url: string): SendMessageCommandInput[] => h.sent().filter((s) => s.QueueUrl === url);

describe('ingest handler and the registration window', () => {
  it('answers an unsigned probe 200 in the window, quarantines it as the probe and records it for the registration', async () => {
    const h = load(Date.now() + 60_000);
    const { result, lines } = await captured(() => h.handler(webhookEvent(testEvent, {})));
    expect(result.statusCode).toBe(200);
    expect(sentTo(h, STATE)).toEqual([]);
    const [quarantined] = sentTo(h, QUARANTINE);
    expect(parseQuarantineRecord(quarantined?.MessageBody ?? '')).toMatchObject({
      reason: 'registration_probe',
      probe: { result: 'signature_missing', configuredScheme: 'pkcs1-sha256-base64' },
    });
    const update = h.dynamodb.commandCalls(h.UpdateItem)[0]?.args[0].input as UpdateItemCommandInput;
    expect(JSON.parse(update.ExpressionAttributeValues?.[':probe']?.S ?? '{}')).toMatchObject({
      result: 'signature_missing',
    });
    expect(metricNames(lines)).toEqual(['RegistrationProbe', 'Quarantined']);
    expect(levels(lines)).not.toContain('WARN');
  });

  it('answers a verified probe 200 in the window without quarantining it or delivering it', async () => {
    const h = load(Date.now() + 60_000);
    const { result } = await captured(() =>
      h.handler(webhookEvent(testEvent, { 'x-respond-flow-signature': signBody(volt.privateKey, testEvent) })),
    );
    expect(result.statusCode).toBe(200);
    expect(h.sent()).toEqual([]);
    const update = h.dynamodb.commandCalls(h.UpdateItem)[0]?.args[0].input as UpdateItemCommandInput;
    expect(JSON.parse(update.ExpressionAttributeValues?.[':probe']?.S ?? '{}')).toMatchObject({
      result: 'verified',
      matchingSchemes: expect.arrayContaining(['pkcs1-sha256-base64']),
    });
  });

  it('answers 401 and quarantines as before once the window has passed', async () => {
    const h = load(Date.now() - 1);
    const { result, lines } = await captured(() => h.handler(webhookEvent(testEvent, {})));
    expect(result.statusCode).toBe(401);
    expect(parseQuarantineRecord(sentTo(h, QUARANTINE)[0]?.MessageBody ?? '').reason).toBe('signature_missing');
    expect(h.dynamodb.commandCalls(h.UpdateItem)).toEqual([]);
    expect(levels(lines)).toContain('WARN');
  });

  it('refuses our own self-check 401 at DEBUG, counted as SelfCheck, not quarantined, without reading the window', async () => {
    const h = load(Date.now() + 60_000);
    const { result, lines } = await captured(() =>
      h.handler(webhookEvent(SELF_CHECK_BODY, { [SELF_CHECK_HEADER]: 'readiness' })),
    );
    expect(result.statusCode).toBe(401);
    expect(h.sent()).toEqual([]);
    expect(h.dynamodb.commandCalls(h.GetItem)).toEqual([]);
    expect(metricNames(lines)).toEqual(['SelfCheck']);
    expect(levels(lines)).toEqual(['DEBUG']);
  });

  it('does not read the window for a signed message event', async () => {
    const h = load(Date.now() + 60_000);
    const raw = JSON.stringify({ id: 'rfw_1', payload: { id: 'msg_1', event_type: 'message.sent' } });
    const { result } = await captured(() =>
      h.handler(webhookEvent(raw, { 'x-respond-flow-signature': signBody(volt.privateKey, raw) })),
    );
    expect(result.statusCode).toBe(200);
    expect(sentTo(h, STATE)).toHaveLength(1);
    expect(h.dynamodb.commandCalls(h.GetItem)).toEqual([]);
  });
});
