import type { SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { KeyRing } from '../../../../lambda/common/key-ring';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER } from '../../../../lambda/common/registration-window';
import { DEFAULT_SCHEME, signBody, SIGNATURE_HEADER } from '../../../../lambda/common/signature';
import { WebhookIngestor } from '../../../../lambda/ingest/ingest';
import { sqsTargets } from '../../../../lambda/ingest/targets/sqs';
import { readTargets } from '../../../../lambda/ingest/targets/target';
import { vendorEvent } from '../../../helpers/fixtures';
import { testKeyPair } from '../../../helpers/keys';

// The ingestor's part of the registration window: what it answers, and that nothing reaches a target.

const volt = testKeyPair('probe-window-volt');
const other = testKeyPair('probe-window-other');
const testEvent = JSON.stringify({
  type: 'messaging',
  id: 'rfw_test_1',
  payload: { id: null, message_app_id: null, event_type: 'webhook.test', url: 'https://x.example/webhooks' },
});

function setup(windowOpen: boolean | undefined) {
  const sends: SendMessageCommandInput[] = [];
  const asked: number[] = [];
  const ingestor = new WebhookIngestor({
    keyRing: new KeyRing({ pinned: [volt.publicKey] }),
    scheme: DEFAULT_SCHEME,
    targets: readTargets([sqsTargets(async (input) => sends.push(input))], {
      TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: 'http://sqs.local/000000000000/state' }]),
    }),
    ...(windowOpen !== undefined
      ? {
          probeWindowOpen: async () => {
            asked.push(1);
            return windowOpen;
          },
        }
      : {}),
  });
  return { ingestor, sends, asked };
}

describe('registration window in the ingestor', () => {
  it('answers a forged request 401 while the window is closed', async () => {
    const { ingestor, sends } = setup(false);
    const { response, outcome } = await ingestor.handle({ headers: {}, body: testEvent });
    expect(response.statusCode).toBe(401);
    expect(outcome).toMatchObject({ kind: 'rejected', reason: 'signature_missing' });
    expect(sends).toEqual([]);
  });

  it('answers an unsigned request 200 as the probe inside the window, delivering it nowhere', async () => {
    const { ingestor, sends } = setup(true);
    const { response, outcome } = await ingestor.handle({ headers: {}, body: testEvent });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ accepted: false, probe: true });
    expect(outcome).toMatchObject({ kind: 'probe', result: 'signature_missing' });
    expect(sends).toEqual([]);
  });

  it('answers a request signed by another key 200 as the probe inside the window, delivering it nowhere', async () => {
    const { ingestor, sends } = setup(true);
    const { response, outcome } = await ingestor.handle({
      headers: { [SIGNATURE_HEADER]: signBody(other.privateKey, testEvent) },
      body: testEvent,
    });
    expect(response.statusCode).toBe(200);
    expect(outcome).toMatchObject({ kind: 'probe', result: 'signature_mismatch' });
    expect(sends).toEqual([]);
  });

  it('keeps a verified test event that names no message out of the targets inside the window', async () => {
    const { ingestor, sends } = setup(true);
    const { response, outcome } = await ingestor.handle({
      headers: { [SIGNATURE_HEADER]: signBody(volt.privateKey, testEvent) },
      body: testEvent,
    });
    expect(response.statusCode).toBe(200);
    expect(outcome).toMatchObject({ kind: 'probe', result: 'verified', webhookId: 'rfw_test_1' });
    expect(sends).toEqual([]);
  });

  it('delivers a verified message event inside the window without asking about the window', async () => {
    const { ingestor, sends, asked } = setup(true);
    const { raw } = vendorEvent('message-delivered');
    const { response, outcome } = await ingestor.handle({
      headers: { [SIGNATURE_HEADER]: signBody(volt.privateKey, raw) },
      body: raw,
    });
    expect(response.statusCode).toBe(200);
    expect(outcome.kind).toBe('enqueued');
    expect(sends).toHaveLength(1);
    expect(asked).toEqual([]);
  });

  it('delivers a verified test event outside the window, as before', async () => {
    const { ingestor, sends } = setup(false);
    const { response } = await ingestor.handle({
      headers: { [SIGNATURE_HEADER]: signBody(volt.privateKey, testEvent) },
      body: testEvent,
    });
    expect(response.statusCode).toBe(200);
    expect(sends).toHaveLength(1);
  });

  it('refuses our own self-check 401 even inside the window, without asking about it', async () => {
    const { ingestor, sends, asked } = setup(true);
    const { response, outcome } = await ingestor.handle({
      headers: { [SELF_CHECK_HEADER]: 'doctor' },
      body: SELF_CHECK_BODY,
    });
    expect(response.statusCode).toBe(401);
    expect(outcome).toEqual({ kind: 'self_check', statusCode: 401 });
    expect(sends).toEqual([]);
    expect(asked).toEqual([]);
  });

  it('does not take a marked request with a signature or another body as a self-check', async () => {
    const { ingestor } = setup(false);
    const signed = await ingestor.handle({
      headers: { [SELF_CHECK_HEADER]: 'doctor', [SIGNATURE_HEADER]: 'Zm9v' },
      body: SELF_CHECK_BODY,
    });
    const bodied = await ingestor.handle({ headers: { [SELF_CHECK_HEADER]: 'doctor' }, body: testEvent });
    expect(signed.outcome.kind).toBe('rejected');
    expect(bodied.outcome.kind).toBe('rejected');
  });
});
