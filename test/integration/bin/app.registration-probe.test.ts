import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseQuarantineRecord, type QuarantineRecord } from '../../../lambda/ingest/quarantine';
import { PROBE_REASON } from '../../../lambda/common/registration-window';
import { STACK_OUTPUTS } from '../../../lib/stack-outputs';
import { QUARANTINE_QUEUE_ROLE, REGISTRATION_WINDOW_TABLE_ROLE } from '../../../lib/template-contract';
import { startLocalStack, type LocalStack } from '../../../local/stack';
import { synthesize } from '../../../local/synth';
import { startVoltSimulator, type ProbeMode, type VoltSimulator } from '../../../local/volt-simulator';
import { testKeyPair } from '../../helpers/keys';
import { queueDepth } from '../../helpers/local-aws';

// Volt's registration test request, in each way the simulator can sign it, through the
// product's own template on the local stack: registration succeeds, nothing reaches a target
// or the table, and the stack output says what the probe's signature was.

const SECRET_NAME = 'volt/probe-test-token';

describe('registration probe through the local stack', () => {
  const key = testKeyPair('registration-probe');
  let outdir: string;
  let volt: VoltSimulator;

  beforeAll(async () => {
    volt = await startVoltSimulator({ port: 0, privateKeyPem: key.privatePem });
    outdir = mkdtempSync(path.join(tmpdir(), 'volt-probe-'));
    await synthesize({
      outdir,
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        voltApiUrl: volt.graphqlUrl,
        voltApiTokenSecret: SECRET_NAME,
        subscribers: JSON.stringify([{ name: 'crm' }]),
      },
    });
  }, 300_000);

  afterAll(async () => {
    await volt?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  /** Starts the stack (which registers, and so is probed), hands it to `check`, and stops it. */
  async function withStack(mode: ProbeMode, check: (stack: LocalStack, lines: string[]) => Promise<void>) {
    volt.setProbeMode(mode);
    const lines: string[] = [];
    const stack = await startLocalStack({
      cdkOut: outdir,
      secrets: { [SECRET_NAME]: volt.token },
      onEvent: (event) => {
        if (event.kind === 'log') lines.push(event.line);
      },
    });
    try {
      await check(stack, lines);
    } finally {
      await stack.stop();
    }
  }

  async function contents(stack: LocalStack) {
    const settings = { region: stack.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const sqs = new SQSClient({ ...settings, endpoint: stack.sqsEndpoint });
    const dynamodb = new DynamoDBClient({ ...settings, endpoint: stack.dynamodbEndpoint });
    try {
      const depths: Record<string, number> = {};
      for (const q of stack.queues) depths[q.key] = await queueDepth(sqs, q.url);
      const quarantineUrl = stack.queues.find((q) => q.key === QUARANTINE_QUEUE_ROLE)?.url ?? '';
      // Visibility 0 leaves them in place, and the stand-in may hand the same message out more than once.
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: quarantineUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      const unique = new Map((Messages ?? []).map((m) => [m.MessageId, m.Body ?? '']));
      const quarantined: QuarantineRecord[] = [...unique.values()].map((body) => parseQuarantineRecord(body));
      const items: Record<string, number> = {};
      for (const t of stack.tables)
        items[t.role ?? t.name] = (await dynamodb.send(new ScanCommand({ TableName: t.name }))).Count ?? -1;
      return { depths, quarantined, items };
    } finally {
      sqs.destroy();
      dynamodb.destroy();
    }
  }

  const ingestWarnings = (lines: readonly string[]) => lines.filter((l) => l.includes('webhook rejected'));

  it('starting the stack leaves the quarantine, every queue and the messages table empty, with no rejection logged', async () => {
    await withStack('signed', async (stack, lines) => {
      const { depths, quarantined, items } = await contents(stack);
      expect(volt.listWebhooks().map((w) => w.url)).toEqual([stack.webhookUrl]);
      expect(quarantined).toEqual([]);
      expect(Object.values(depths).every((d) => d === 0)).toBe(true);
      expect(items).toEqual({ messages: 0, [REGISTRATION_WINDOW_TABLE_ROLE]: 0 });
      expect(ingestWarnings(lines)).toEqual([]);
    });
  }, 180_000);

  it('a signed probe verifies: registration succeeds, reports it, and the probe reaches no target', async () => {
    await withStack('signed', async (stack) => {
      expect(stack.outputs[STACK_OUTPUTS.voltProbeSignature]).toBe(
        'verified with the configured scheme pkcs1-sha256-base64',
      );
      const { depths, items } = await contents(stack);
      expect(depths['state']).toBe(0);
      expect(depths['crm']).toBe(0);
      expect(items['messages']).toBe(0);
    });
  }, 180_000);

  it('an unsigned probe is answered 2xx in the window, quarantined as the probe, and reported unsigned', async () => {
    await withStack('unsigned', async (stack, lines) => {
      expect(volt.listWebhooks().map((w) => w.url)).toEqual([stack.webhookUrl]);
      expect(stack.outputs[STACK_OUTPUTS.voltProbeSignature]).toBe('unsigned (no signature header)');
      const { depths, quarantined, items } = await contents(stack);
      expect(quarantined).toHaveLength(1);
      expect(quarantined[0]).toMatchObject({ reason: PROBE_REASON, probe: { result: 'signature_missing' } });
      expect(depths['state']).toBe(0);
      expect(depths['crm']).toBe(0);
      expect(items['messages']).toBe(0);
      expect(ingestWarnings(lines)).toEqual([]);
    });
  }, 180_000);

  it('a probe signed with another scheme is answered 2xx and reported with the scheme that verifies it', async () => {
    await withStack('other-scheme', async (stack) => {
      expect(volt.listWebhooks().map((w) => w.url)).toEqual([stack.webhookUrl]);
      expect(stack.outputs[STACK_OUTPUTS.voltProbeSignature]).toBe(
        'did not verify with pkcs1-sha256-base64; verifies with pss-sha256-base64 (set signatureScheme)',
      );
      const { depths, quarantined, items } = await contents(stack);
      expect(quarantined).toHaveLength(1);
      expect(quarantined[0]).toMatchObject({
        reason: PROBE_REASON,
        probe: { result: 'signature_mismatch', matchingSchemes: ['pss-sha256-base64'] },
      });
      expect(depths['state']).toBe(0);
      expect(items['messages']).toBe(0);
    });
  }, 180_000);

  it('outside the window a forged request still gets 401 and reaches nothing', async () => {
    await withStack('signed', async (stack) => {
      const res = await fetch(stack.webhookUrl ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-respond-flow-signature': 'Zm9yZ2Vk' },
        body: JSON.stringify({ id: 'rfw_forged', payload: { event_type: 'webhook.test' } }),
      });
      expect(res.status).toBe(401);
      const { depths, quarantined } = await contents(stack);
      expect(quarantined.map((r) => r.reason)).toEqual(['signature_mismatch']);
      expect(depths['state']).toBe(0);
    });
  }, 180_000);
});
