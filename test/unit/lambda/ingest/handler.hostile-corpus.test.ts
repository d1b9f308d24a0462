import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createRecordProcessor } from '../../../../lambda/consumer/consumer';
import type { UpdateItemParams } from '../../../../lambda/consumer/state-rules';
import { BODY_ENCODING_ATTRIBUTE, isSqsText, queueMessageBytes } from '../../../../lambda/common/queue-message';
import { signBody } from '../../../../lambda/common/signature';
import { firstRefusedCodePoint } from '../../../../local/sqs-rules';
import {
  HOSTILE_CASES,
  SIGNATURE,
  type CorpusSigner,
  type HostileCase,
  type HostileRequest,
} from '../../../fixtures/hostile/corpus';
import { webhookEvent } from '../../../helpers/api-event';
import { loadIngestHarness, type IngestHarness } from '../../../helpers/ingest-harness';
import { testKeyPair } from '../../../helpers/keys';

// Every corpus case through the ingest handler (SQS mocked), then whatever reached the state
// queue through the consumer's parsing and state rules, as the consumer would receive it.

const volt = testKeyPair('volt');
const attacker = testKeyPair('attacker');
const QUEUES = {
  state: 'https://sqs.us-east-1.amazonaws.com/123456789012/state',
  crm: 'https://sqs.us-east-1.amazonaws.com/123456789012/crm',
} as const;
const TARGETS = [
  { name: 'state', queueUrl: QUEUES.state },
  { name: 'crm', queueUrl: QUEUES.crm, eventTypes: ['message.received'] },
];
const KNOWN_EVENT_TYPES = new Set(['message.received', 'message.sent', 'message.finalized']);

const signer: CorpusSigner = {
  sign: (body) => signBody(volt.privateKey, body),
  signAsAttacker: (body) => signBody(attacker.privateKey, body),
  signWithScheme: (body, scheme) => signBody(volt.privateKey, body, scheme),
};

function toEvent(request: HostileRequest): APIGatewayProxyEventV2 {
  const base = webhookEvent('', {});
  const event: APIGatewayProxyEventV2 = {
    ...base,
    headers: { 'content-type': 'application/json', ...request.headers },
    isBase64Encoded: request.isBase64Encoded ?? false,
  };
  if (request.body === undefined) delete event.body;
  else event.body = request.body;
  return event;
}

function rawBytes(request: HostileRequest): Buffer {
  return Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
}

function signatureHeader(request: HostileRequest): string | undefined {
  return Object.entries(request.headers).find(([name]) => name.toLowerCase() === SIGNATURE)?.[1];
}

/** Feeds a state-queue body to the consumer against an empty table; returns its outcome and writes. */
async function consume(body: string, bodyEncoding?: string) {
  const writes: UpdateItemParams[] = [];
  const process = createRecordProcessor(
    { tableName: 'messages' },
    async (params) => {
      writes.push(params);
      return {};
    },
    () => new Date('2026-11-25T00:00:00Z'),
  );
  const outcome = await process({
    body,
    ...(bodyEncoding !== undefined
      ? { messageAttributes: { [BODY_ENCODING_ATTRIBUTE]: { stringValue: bodyEncoding } } }
      : {}),
  });
  return { outcome, writes };
}

const label = (c: HostileCase) => `${c.group}: ${c.name}`;

describe('hostile input corpus', () => {
  let ingest: IngestHarness;

  beforeAll(() => {
    ingest = loadIngestHarness({
      TARGET_QUEUES: JSON.stringify(TARGETS),
      VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.spkiPem]),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  beforeEach(() => ingest.reset());

  it('holds at least 60 uniquely named cases, unauthenticated ones all expecting nothing enqueued', () => {
    expect(HOSTILE_CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(HOSTILE_CASES.map((c) => c.name)).size).toBe(HOSTILE_CASES.length);
    for (const c of HOSTILE_CASES)
      if (c.status !== 200)
        expect({ name: c.name, enqueued: c.enqueued.kind }).toEqual({ name: c.name, enqueued: 'nothing' });
  });

  it.each(HOSTILE_CASES.map((c) => [label(c), c] as const))('%s', async (_label, c) => {
    const request = c.build(signer);
    const response = await ingest.handler(toEvent(request));
    // Only the target queues count: what the handler may keep elsewhere (a quarantine) is not enqueued.
    const targetUrls: readonly string[] = Object.values(QUEUES);
    const sent = ingest.sent().filter((m) => targetUrls.includes(m.QueueUrl ?? ''));

    expect(response.statusCode).toBe(c.status);
    if (c.enqueued.kind === 'nothing') {
      expect(sent).toHaveLength(0);
      return;
    }

    const expected = c.enqueued;
    expect(sent.map((m) => m.QueueUrl).sort()).toEqual(expected.queues.map((q) => QUEUES[q]).sort());
    const header = signatureHeader(request) ?? '';
    for (const message of sent) {
      const attributes = message.MessageAttributes ?? {};
      const encoding = attributes[BODY_ENCODING_ATTRIBUTE]?.StringValue;
      // The queued body, decoded as its attribute says, is the signed bytes exactly, so a
      // subscriber can re-verify it; it is encoded only when SQS would refuse the raw text.
      expect(queueMessageBytes(message.MessageBody ?? '', encoding).equals(rawBytes(request))).toBe(true);
      expect(encoding).toBe(isSqsText(rawBytes(request).toString('utf8')) ? undefined : 'base64');
      // Nothing real SQS would answer InvalidMessageContents to (its rule, as the stand-in applies it).
      for (const text of [message.MessageBody ?? '', ...Object.values(attributes).map((a) => a.StringValue ?? '')])
        expect(firstRefusedCodePoint(text)).toBeUndefined();
      expect(attributes['signature']?.StringValue).toBe(header.trim());
      expect(Date.parse(attributes['receivedAt']?.StringValue ?? '')).not.toBeNaN();
      if (expected.webhookId !== undefined) expect(attributes['webhookId']?.StringValue).toBe(expected.webhookId);
      if (expected.messageId !== undefined) expect(attributes['messageId']?.StringValue).toBe(expected.messageId);
      if (expected.eventType !== undefined) expect(attributes['eventType']?.StringValue).toBe(expected.eventType);
    }

    // What the consumer makes of the state-queue copy: a plan keyed like the ingest's attributes.
    const state = sent.find((m) => m.QueueUrl === QUEUES.state) as SendMessageCommandInput;
    const attributes = state.MessageAttributes ?? {};
    const { outcome, writes } = await consume(
      state.MessageBody ?? '',
      attributes[BODY_ENCODING_ATTRIBUTE]?.StringValue,
    );
    expect(outcome.event.webhookId).toBe(attributes['webhookId']?.StringValue);
    expect(outcome.event.messageId).toBe(attributes['messageId']?.StringValue);
    expect(outcome.event.eventType).toBe(attributes['eventType']?.StringValue);
    expect(writes).toHaveLength(1);
    expect(writes[0]?.Key).toEqual({ messageId: { S: outcome.event.messageId } });
    const stateKey = (writes[0]?.ExpressionAttributeValues[':stateKey'] as { S?: string } | undefined)?.S;
    // Unknown event types are history only; known ones define state with a one-digit rank.
    expect(outcome.effect).toBe(KNOWN_EVENT_TYPES.has(outcome.event.eventType) ? 'state' : 'history');
    if (outcome.effect === 'state') expect(stateKey).toMatch(/^[1-3]#/);
    else expect(stateKey).toBeUndefined();
    for (const value of Object.values(writes[0]?.ExpressionAttributeValues ?? {})) {
      if ('N' in value) expect(Number.isFinite(Number(value.N))).toBe(true);
    }
  });

  it('keeps the text of non-GSM and enormous messages whole up to the consumer limit', async () => {
    for (const name of [
      'emoji, CJK, RTL and combining text',
      'escaped control characters and a lone surrogate in the text',
    ]) {
      const c = HOSTILE_CASES.find((x) => x.name === name);
      const request = c?.build(signer);
      const sentText = (
        JSON.parse(rawBytes(request as HostileRequest).toString('utf8')) as { payload: { text: string } }
      ).payload.text;
      const { outcome, writes } = await consume(rawBytes(request as HostileRequest).toString('utf8'));
      expect(outcome.event.text).toBe(sentText);
      expect(writes[0]?.ExpressionAttributeValues[':text']).toEqual({ S: sentText });
    }
    const big = HOSTILE_CASES.find((x) => x.name === 'enormous text within the limit (60 KB)')?.build(signer);
    const { outcome } = await consume(rawBytes(big as HostileRequest).toString('utf8'));
    expect(outcome.event.text?.length).toBe(16 * 1024);
  });

  it('leaves Object.prototype unpolluted after every case has run', async () => {
    for (const c of HOSTILE_CASES) {
      const request = c.build(signer);
      await ingest.handler(toEvent(request));
      for (const m of ingest.sent())
        if (m.QueueUrl === QUEUES.state)
          await consume(m.MessageBody ?? '', m.MessageAttributes?.[BODY_ENCODING_ATTRIBUTE]?.StringValue).catch(
            () => undefined,
          );
      ingest.reset();
    }
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['id']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });
});
