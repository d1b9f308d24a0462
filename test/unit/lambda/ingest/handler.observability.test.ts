import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import { parseQuarantineRecord } from '../../../../lambda/ingest/quarantine';
import { signBody } from '../../../../lambda/common/signature';
import { webhookEvent } from '../../../helpers/api-event';
import { loadIngestHarness } from '../../../helpers/ingest-harness';
import { vendorEvent, vendorEvents } from '../../../helpers/fixtures';
import { testKeyPair } from '../../../helpers/keys';

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

const volt = testKeyPair('volt');
const attacker = testKeyPair('attacker');
const STATE = 'https://sqs.us-east-1.amazonaws.com/123456789012/state';
const CRM = 'https://sqs.us-east-1.amazonaws.com/123456789012/crm';
const QUARANTINE = 'https://sqs.us-east-1.amazonaws.com/123456789012/quarantine';
const TARGETS = [
  { name: 'state', queueUrl: STATE },
  { name: 'crm', queueUrl: CRM, eventTypes: ['message.received'] },
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the stub's input/output types vary per command
let sqs: AwsStub<any, any, any>;
let Send: typeof SendMessageCommand;

/** A cold start with this environment, in its own module registry. */
function loadHandler(env: Record<string, string | undefined> = {}): Handler {
  const harness = loadIngestHarness({
    TARGET_QUEUES: JSON.stringify(TARGETS),
    VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.sshRsa]),
    QUARANTINE_QUEUE_URL: QUARANTINE,
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    // The loggers write through their own Console on the real streams unless these are unset.
    POWERTOOLS_DEV: undefined,
    POWERTOOLS_METRICS_DISABLED: undefined,
    ...env,
  });
  sqs = harness.sqs;
  Send = harness.Send;
  return harness.handler;
}

/** Runs `fn` with stdout and stderr captured, one entry per written line. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const capture = (chunk: unknown): boolean => {
    lines.push(
      ...String(chunk)
        .split('\n')
        .filter((l) => l.trim() !== ''),
    );
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    return { result: await fn(), lines };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

type Line = Record<string, unknown>;
const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);
const logLines = (lines: string[]) => parse(lines).filter((l) => typeof l['message'] === 'string');
const metricLines = (lines: string[]) => parse(lines).filter((l) => l['_aws'] !== undefined);

/** The names of the metrics in an EMF line, with its dimension sets. */
function metricsOf(line: Line): { names: string[]; dimensions: string[][]; namespace: string } {
  const directive = (
    line['_aws'] as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }
  ).CloudWatchMetrics[0]!;
  return {
    names: directive.Metrics.map((m) => m.Name),
    dimensions: directive.Dimensions,
    namespace: directive.Namespace,
  };
}

/** Every phone number and the message text of a vendor event: what must never be logged. */
function secretsOf(raw: string, json: Record<string, unknown>): string[] {
  const numbers = raw.match(/\+\d{8,15}/g) ?? [];
  const text = (json['payload'] as Record<string, unknown>)['text'];
  return [...numbers, ...(typeof text === 'string' && text !== '' ? [text] : [])];
}

const signed = (raw: string, key = volt.privateKey) =>
  webhookEvent(raw, { 'x-respond-flow-signature': signBody(key, raw) });

describe('ingest logs', () => {
  it.each(vendorEvents().map((e) => [e.name, e.raw, e.json] as const))(
    '%s: carry webhookId and messageId, and no phone number or text',
    async (_name, raw, json) => {
      const handler = loadHandler();
      const { result, lines } = await captured(() => handler(signed(raw)));
      expect(result.statusCode).toBe(200);
      const secrets = secretsOf(raw, json);
      expect(secrets.length).toBeGreaterThan(0);
      for (const line of lines) for (const secret of secrets) expect(line).not.toContain(secret);
      const enqueued = logLines(lines).find((l) => l['message'] === 'webhook enqueued');
      expect(enqueued?.['webhookId']).toBe(json['id']);
      const payload = json['payload'] as Record<string, unknown>;
      expect(enqueued?.['messageId']).toBe(
        typeof payload['id'] === 'string' ? payload['id'] : payload['message_app_id'],
      );
    },
  );

  it('writes no line for an accepted event at the default level (INFO)', async () => {
    const handler = loadHandler({ POWERTOOLS_LOG_LEVEL: undefined });
    const { result, lines } = await captured(() => handler(signed(vendorEvent('message-sent').raw)));
    expect(result.statusCode).toBe(200);
    expect(lines).toEqual([]);
  });

  it('follows the level Lambda sets (AWS_LAMBDA_LOG_LEVEL, from -c logLevel)', async () => {
    const handler = loadHandler({ POWERTOOLS_LOG_LEVEL: undefined, AWS_LAMBDA_LOG_LEVEL: 'DEBUG' });
    const { lines } = await captured(() => handler(signed(vendorEvent('message-sent').raw)));
    expect(logLines(lines).map((l) => l['message'])).toEqual(['webhook enqueued']);
  });

  it('logs a forged request without its body, numbers or text', async () => {
    const { raw, json } = vendorEvent('message-received');
    const handler = loadHandler();
    const { result, lines } = await captured(() => handler(signed(raw, attacker.privateKey)));
    expect(result.statusCode).toBe(401);
    for (const line of lines) for (const secret of secretsOf(raw, json)) expect(line).not.toContain(secret);
    expect(
      logLines(lines).some((l) => l['message'] === 'webhook rejected' && l['reason'] === 'signature_mismatch'),
    ).toBe(true);
  });

  it('drops the correlation keys after each request', async () => {
    const handler = loadHandler();
    await captured(() => handler(signed(vendorEvent('message-sent').raw)));
    const { lines } = await captured(() => handler(webhookEvent(vendorEvent('message-sent').raw)));
    const rejected = logLines(lines).find((l) => l['message'] === 'webhook rejected');
    expect(rejected).toBeDefined();
    expect(rejected).not.toHaveProperty('webhookId');
    expect(rejected).not.toHaveProperty('messageId');
  });
});

describe('ingest metrics', () => {
  it('emits no metric line for an accepted event: API Gateway and SQS already count those', async () => {
    const handler = loadHandler();
    const { result, lines } = await captured(() => handler(signed(vendorEvent('message-sent').raw)));
    expect(result.statusCode).toBe(200);
    expect(metricLines(lines)).toEqual([]);
  });

  it('counts a bad signature as Rejected by reason and as SignatureRejected with only the service dimension', async () => {
    const handler = loadHandler();
    const { lines } = await captured(() => handler(signed(vendorEvent('message-sent').raw, attacker.privateKey)));
    const metrics = metricLines(lines);
    const rejected = metrics.find((l) => metricsOf(l).names.includes('Rejected'));
    expect(rejected?.['reason']).toBe('signature_mismatch');
    expect(metricsOf(rejected!).dimensions).toEqual([['service', 'reason']]);
    const signature = metrics.find((l) => metricsOf(l).names.includes('SignatureRejected'));
    expect(metricsOf(signature!).dimensions).toEqual([['service']]);
    expect(signature?.['service']).toBe('ingest');
    expect(metricsOf(signature!).namespace).toBe('VoltWebhooks');
  });

  it('counts an enqueue failure', async () => {
    const handler = loadHandler();
    sqs.on(Send, { QueueUrl: STATE }).rejects(new Error('ServiceUnavailable'));
    const { result, lines } = await captured(() => handler(signed(vendorEvent('message-sent').raw)));
    expect(result.statusCode).toBe(503);
    const emitted = metricLines(lines);
    expect(emitted.flatMap((l) => metricsOf(l).names)).toEqual(['EnqueueFailed']);
    expect(metricsOf(emitted[0]!).dimensions).toEqual([['service']]);
    expect(emitted[0]?.['service']).toBe('ingest');
  });
});

describe('quarantine', () => {
  const quarantineSends = () => sqs.commandCalls(Send).filter((c) => c.args[0].input.QueueUrl === QUARANTINE);

  it('keeps a forged request with its signature and reason, on the quarantine queue only', async () => {
    const handler = loadHandler();
    const raw = vendorEvent('message-received').raw;
    const header = signBody(attacker.privateKey, raw);
    const { result } = await captured(() => handler(webhookEvent(raw, { 'x-respond-flow-signature': header })));
    expect(result.statusCode).toBe(401);
    const urls = sqs.commandCalls(Send).map((c) => c.args[0].input.QueueUrl);
    expect(urls).toEqual([QUARANTINE]);
    const record = parseQuarantineRecord(quarantineSends()[0]?.args[0].input.MessageBody ?? '');
    expect(record).toMatchObject({
      reason: 'signature_mismatch',
      statusCode: 401,
      signature: header,
      truncated: false,
    });
    expect(Buffer.from(record.bodyBase64, 'base64').toString('utf8')).toBe(raw);
  });

  it('keeps a signed body that is not an event (400), and never enqueues it to a target', async () => {
    const handler = loadHandler();
    const { result } = await captured(() => handler(signed('[1,2]')));
    expect(result.statusCode).toBe(400);
    expect(sqs.commandCalls(Send).map((c) => c.args[0].input.QueueUrl)).toEqual([QUARANTINE]);
  });

  it('does not quarantine a verified event', async () => {
    const handler = loadHandler();
    await captured(() => handler(signed(vendorEvent('message-received').raw)));
    expect(quarantineSends()).toHaveLength(0);
  });

  it('samples under attack: at most the configured number per minute', async () => {
    const handler = loadHandler({ QUARANTINE_PER_MINUTE: '2' });
    const raw = vendorEvent('message-sent').raw;
    const { lines } = await captured(async () => {
      for (let i = 0; i < 5; i++) expect((await handler(signed(raw, attacker.privateKey))).statusCode).toBe(401);
    });
    expect(quarantineSends()).toHaveLength(2);
    const dropped = metricLines(lines).filter((l) => metricsOf(l).names.includes('QuarantineDropped'));
    expect(dropped).toHaveLength(3);
  });

  it('answers 401 all the same when the quarantine send fails', async () => {
    const handler = loadHandler();
    sqs.on(Send, { QueueUrl: QUARANTINE }).rejects(new Error('AccessDenied'));
    const { result, lines } = await captured(() =>
      handler(signed(vendorEvent('message-sent').raw, attacker.privateKey)),
    );
    expect(result.statusCode).toBe(401);
    expect(logLines(lines).some((l) => l['message'] === 'could not quarantine a rejected request')).toBe(true);
    expect(metricLines(lines).flatMap((l) => metricsOf(l).names)).toContain('QuarantineFailed');
  });

  it('refuses to start when the quarantine is one of the target queues', () => {
    expect(() => loadHandler({ QUARANTINE_QUEUE_URL: CRM })).toThrow(
      /QUARANTINE_QUEUE_URL must not be one of TARGET_QUEUES/,
    );
  });
});
