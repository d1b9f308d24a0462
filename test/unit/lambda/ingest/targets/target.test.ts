import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { KeyRing } from '../../../../../lambda/common/key-ring';
import { ConfigurationError } from '../../../../../lambda/common/errors';
import { DEFAULT_SCHEME, signBody, SIGNATURE_HEADER } from '../../../../../lambda/common/signature';
import { WebhookIngestor, type QueueMessageAttributes } from '../../../../../lambda/ingest/ingest';
import {
  SendDeadlineError,
  sendWithin,
  SQS_SEND_BUDGET,
  SQS_TARGETS_ENV,
  sqsMessageInput,
  sqsTargets,
  toMessageAttributes,
} from '../../../../../lambda/ingest/targets/sqs';
import { readTargetEntry, readTargets, type TargetKind } from '../../../../../lambda/ingest/targets/target';
import { vendorEvent } from '../../../../helpers/fixtures';
import { testKeyPair } from '../../../../helpers/keys';

const volt = testKeyPair('targets');
const STATE = 'https://sqs.us-east-1.amazonaws.com/123456789012/state';

/** A second kind of target, as an archive or an event bus would add one: its own variable and sender. */
function archiveKind(delivered: { name: string; body: string }[], failing = new Set<string>()): TargetKind {
  return {
    kind: 'archive',
    env: 'TARGET_ARCHIVES',
    target(entry, label) {
      const e = readTargetEntry(entry, label);
      const bucket = String(e['bucket']);
      return {
        kind: 'archive',
        name: e.name,
        address: `s3://${bucket}`,
        ...(e.eventTypes ? { eventTypes: e.eventTypes } : {}),
        deliver: async (body) => {
          if (failing.has(e.name)) throw new Error(`${bucket} refused`);
          delivered.push({ name: e.name, body });
        },
      };
    },
  };
}

describe('readTargets', () => {
  const sends: SendMessageCommandInput[] = [];
  const sqs = sqsTargets(async (input) => sends.push(input));

  it('reads every kind from its own variable, in the order of the kinds', () => {
    const targets = readTargets([sqs, archiveKind([])], {
      [SQS_TARGETS_ENV]: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
      TARGET_ARCHIVES: JSON.stringify([{ name: 'archive', bucket: 'b', eventTypes: ['message.finalized'] }]),
    });
    expect(targets.map(({ kind, name, address, eventTypes }) => ({ kind, name, address, eventTypes }))).toEqual([
      { kind: 'sqs', name: 'state', address: STATE, eventTypes: undefined },
      { kind: 'archive', name: 'archive', address: 's3://b', eventTypes: ['message.finalized'] },
    ]);
  });

  it('needs at least one target of some kind, and names every variable it looked in', () => {
    expect(() => readTargets([sqs, archiveKind([])], {})).toThrow(
      'environment variable TARGET_QUEUES or TARGET_ARCHIVES is required but not set',
    );
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['JSON that does not parse', { TARGET_QUEUES: '[' }, /TARGET_QUEUES is not valid JSON/],
    ['an empty list', { TARGET_QUEUES: '[]' }, /TARGET_QUEUES must be a non-empty JSON array/],
    [
      'an entry without a name',
      { TARGET_QUEUES: JSON.stringify([{ queueUrl: STATE }]) },
      /TARGET_QUEUES\[0\] needs a string "name"/,
    ],
    [
      'an SQS entry without a queue URL',
      { TARGET_QUEUES: JSON.stringify([{ name: 'state' }]) },
      /TARGET_QUEUES\[0\] needs .*"queueUrl"/,
    ],
    [
      'event types that are not strings',
      { TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE, eventTypes: [1] }]) },
      /TARGET_QUEUES\[0\]\.eventTypes must be an array of strings/,
    ],
    [
      'one name used by two kinds',
      {
        TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
        TARGET_ARCHIVES: JSON.stringify([{ name: 'state', bucket: 'b' }]),
      },
      /two delivery targets are named "state"/,
    ],
  ])('refuses %s', (_label, env, message) => {
    expect(() => readTargets([sqs, archiveKind([])], env)).toThrow(ConfigurationError);
    expect(() => readTargets([sqs, archiveKind([])], env)).toThrow(message);
  });
});

describe('the SQS kind', () => {
  it('sends the raw body to its queue with the contract attributes, leaving out an empty one', async () => {
    const sends: SendMessageCommandInput[] = [];
    const [target] = readTargets([sqsTargets(async (input) => sends.push(input))], {
      TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
    });
    const attributes: QueueMessageAttributes = {
      webhookId: 'rfw_1',
      eventType: 'message.sent',
      messageId: 'rf_1',
      receivedAt: '2026-01-01T00:00:00.000Z',
      signature: '',
    };
    await target!.deliver('{"id":"rfw_1"}', attributes);
    expect(sends).toEqual([
      { QueueUrl: STATE, MessageBody: '{"id":"rfw_1"}', MessageAttributes: toMessageAttributes(attributes) },
    ]);
    expect(Object.keys(sends[0]!.MessageAttributes ?? {})).toEqual([
      'webhookId',
      'eventType',
      'messageId',
      'receivedAt',
    ]);
  });
});

/** Attributes holding characters SQS refuses, as a signed body may carry them. */
const ODD_ATTRIBUTES: QueueMessageAttributes = {
  webhookId: 'rfw_\u0001',
  eventType: 'message.\ud800',
  messageId: 'rf_\uffff',
  receivedAt: '2026-01-01T00:00:00.000Z',
  signature: 'c2ln',
};

describe('the SQS kind under SQS character rule', () => {
  it('cleans every attribute value and flags a base64 body only when the raw one would be refused', () => {
    const plain = sqsMessageInput(STATE, '{"id":"rfw_1"}', ODD_ATTRIBUTES);
    expect(plain.MessageBody).toBe('{"id":"rfw_1"}');
    expect(plain.MessageAttributes).toEqual({
      webhookId: { DataType: 'String', StringValue: 'rfw_\ufffd' },
      eventType: { DataType: 'String', StringValue: 'message.\ufffd' },
      messageId: { DataType: 'String', StringValue: 'rf_\ufffd' },
      receivedAt: { DataType: 'String', StringValue: '2026-01-01T00:00:00.000Z' },
      signature: { DataType: 'String', StringValue: 'c2ln' },
    });
    const raw = '{"id":"rfw_1","t":"\ufffe"}';
    const encoded = sqsMessageInput(STATE, raw, ODD_ATTRIBUTES);
    expect(Buffer.from(encoded.MessageBody ?? '', 'base64').toString('utf8')).toBe(raw);
    expect(encoded.MessageAttributes?.['bodyEncoding']).toEqual({ DataType: 'String', StringValue: 'base64' });
  });
});

describe('the SQS send deadline', () => {
  /** A send that answers only when aborted, as a hung connection would, recording the signal it got. */
  const hanging =
    (signals: AbortSignal[]) =>
    (_input: SendMessageCommandInput, { abortSignal }: { abortSignal: AbortSignal }) => {
      signals.push(abortSignal);
      return new Promise((_resolve, reject) =>
        abortSignal.addEventListener('abort', () =>
          reject(Object.assign(new Error('aborted'), { name: 'AbortError' })),
        ),
      );
    };

  it('abandons a send that outlives its deadline, with an error that says so', async () => {
    const signals: AbortSignal[] = [];
    await expect(sendWithin(hanging(signals), { QueueUrl: STATE, MessageBody: 'x' }, 50)).rejects.toThrow(
      new SendDeadlineError(50, undefined).message,
    );
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('passes an error that came before the deadline on as it is', async () => {
    const refused = Object.assign(new Error('no such queue'), { name: 'QueueDoesNotExist' });
    await expect(sendWithin(() => Promise.reject(refused), { QueueUrl: STATE, MessageBody: 'x' }, 1000)).rejects.toBe(
      refused,
    );
  });

  it('bounds every delivery of the SQS kind by the budget (the default) or the given deadline', async () => {
    const signals: AbortSignal[] = [];
    const [target] = readTargets([sqsTargets(hanging(signals), { deadlineMs: 30 })], {
      TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
    });
    await expect(target!.deliver('{"id":"rfw_1"}', ODD_ATTRIBUTES)).rejects.toBeInstanceOf(SendDeadlineError);
    expect(SQS_SEND_BUDGET.deadlineMs).toBeLessThan(2000);
    expect(SQS_SEND_BUDGET.attemptTimeoutMs * SQS_SEND_BUDGET.maxAttempts).toBeLessThanOrEqual(
      SQS_SEND_BUDGET.deadlineMs,
    );
  });
});

describe('WebhookIngestor with targets of two kinds', () => {
  const raw = vendorEvent('message-delivered').raw;

  function ingestor(delivered: { name: string; body: string }[], failing?: Set<string>) {
    const sends: SendMessageCommandInput[] = [];
    const targets = readTargets([sqsTargets(async (input) => sends.push(input)), archiveKind(delivered, failing)], {
      TARGET_QUEUES: JSON.stringify([
        { name: 'state', queueUrl: STATE },
        { name: 'crm', queueUrl: `${STATE}-crm`, eventTypes: ['message.received'] },
      ]),
      TARGET_ARCHIVES: JSON.stringify([{ name: 'archive', bucket: 'b' }]),
    });
    return {
      sends,
      ingestor: new WebhookIngestor({
        keyRing: new KeyRing({ pinned: [volt.publicKey] }),
        scheme: DEFAULT_SCHEME,
        targets,
      }),
    };
  }

  it('delivers to every matching target of either kind and names them all in the answer', async () => {
    const delivered: { name: string; body: string }[] = [];
    const { sends, ingestor: i } = ingestor(delivered);
    const { response, outcome } = await i.handle({
      headers: { [SIGNATURE_HEADER]: signBody(volt.privateKey, raw) },
      body: raw,
    });
    expect(response.statusCode).toBe(200);
    expect(sends.map((s) => s.QueueUrl)).toEqual([STATE]);
    expect(delivered).toEqual([{ name: 'archive', body: raw }]);
    expect(outcome).toMatchObject({ kind: 'enqueued', targets: ['state', 'archive'] });
    // The field keeps the name it had when every target was a queue.
    expect(JSON.parse(response.body)).toMatchObject({ accepted: true, queues: ['state', 'archive'] });
  });

  it('answers 503 naming the target of the other kind that refused', async () => {
    const { ingestor: i } = ingestor([], new Set(['archive']));
    const { response, outcome } = await i.handle({
      headers: { [SIGNATURE_HEADER]: signBody(volt.privateKey, raw) },
      body: raw,
    });
    expect(response.statusCode).toBe(503);
    expect(outcome).toMatchObject({ kind: 'failed', reason: 'enqueue_failed', failedTargets: ['archive'] });
  });
});
