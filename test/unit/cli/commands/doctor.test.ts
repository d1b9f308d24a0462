import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../../cli/main';
import { runDoctor } from '../../../../cli/commands/doctor';
import type { StackContext } from '../../../../cli/stack-context';
import { quarantineRecord } from '../../../../lambda/ingest/quarantine';
import { signBody } from '../../../../lambda/common/signature';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER } from '../../../../lambda/common/registration-window';
import { listen, startStandins, type ListeningServer, type Standins } from '../../../../local/standins';
import { startVoltSimulator, type VoltSimulator } from '../../../../local/volt-simulator';
import { testKeyPair } from '../../../helpers/keys';

/**
 * `redrive`, `doctor` and `calibrate --from-quarantine` against the local stand-ins: SQS
 * (local-aws-sqs, with message move tasks), the Volt simulator, and a small webhook endpoint
 * that answers like the ingest function (401 unless signed), described by a local stack file.
 */

const volt = testKeyPair('volt');
let standins: Standins;
let sim: VoltSimulator;
let endpoint: ListeningServer;
let sqs: SQSClient;
let dir: string;
let stackFile: string;
const urls: Record<string, string> = {};
/** What the webhook endpoint received: headers and body of each request. */
const endpointRequests: { headers: Record<string, unknown>; body: string }[] = [];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) },
    out,
    err,
    text: () => [...out, ...err].join('\n'),
  };
}

async function count(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

async function createQueue(key: string, dlqKey?: string): Promise<void> {
  const attributes: Record<string, string> = {};
  if (dlqKey) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: urls[dlqKey], AttributeNames: ['QueueArn'] }),
    );
    attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: Attributes?.QueueArn, maxReceiveCount: 3 });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `ops-${key}`, Attributes: attributes }));
  urls[key] = QueueUrl!;
}

beforeAll(async () => {
  standins = await startStandins({ region: 'us-east-1', accountId: '000000000000' });
  sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: standins.sqsEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createQueue('stateDlq');
  await createQueue('state', 'stateDlq');
  await createQueue('inboxDlq');
  await createQueue('inbox', 'inboxDlq');
  await createQueue('quarantine');

  // Answers like the ingest function as far as doctor and the simulator's test request can tell.
  endpoint = await listen(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        endpointRequests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      req.on('end', () =>
        res
          .writeHead(req.headers['x-respond-flow-signature'] ? 200 : 401, { 'content-type': 'application/json' })
          .end('{}'),
      );
    }),
    0,
    '127.0.0.1',
    'webhook endpoint',
    '',
  );
  sim = await startVoltSimulator({ privateKeyPem: volt.privatePem });
  await sim.registerWebhook(`${endpoint.url}/webhooks`);

  dir = mkdtempSync(path.join(tmpdir(), 'ops-'));
  const keyFile = path.join(dir, 'signing-key.pem');
  writeFileSync(keyFile, volt.privatePem);
  stackFile = path.join(dir, 'stack.json');
  writeFileSync(
    stackFile,
    JSON.stringify({
      webhookUrl: `${endpoint.url}/webhooks`,
      region: 'us-east-1',
      sqsEndpoint: standins.sqsEndpoint,
      dynamodbEndpoint: standins.dynamodbEndpoint,
      tableName: 'messages',
      queueUrls: urls,
      voltApiUrl: sim.graphqlUrl,
      voltToken: sim.token,
      signingKeyFile: keyFile,
    }),
  );
}, 30_000);

afterAll(async () => {
  sqs.destroy();
  await sim.stop();
  await endpoint.close();
  await standins.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Empties a queue (PurgeQueue is allowed once a minute, as on AWS). */
async function drain(queueUrl: string): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    if (!Messages?.length) return;
    for (const m of Messages)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
  }
}

afterEach(async () => {
  for (const url of Object.values(urls)) await drain(url);
});

describe('volt-webhooks doctor', () => {
  it('passes every check of a healthy local stack, and skips the alarms with a reason', async () => {
    const c = capture();
    const code = await main(['doctor', '--local-file', stackFile], c.io);
    expect(c.text()).toMatch(/^ok\s+stack outputs/m);
    expect(c.text()).toMatch(/^ok\s+registration\s+Volt sends to http:\/\/127\.0\.0\.1:\d+\/webhooks/m);
    expect(c.text()).toMatch(/^ok\s+signing key/m);
    expect(c.text()).toMatch(/^ok\s+webhook endpoint .*401/m);
    expect(c.text()).toMatch(/^ok\s+queue state\s+reachable/m);
    expect(c.text()).toMatch(/^ok\s+queue inbox\s+reachable/m);
    expect(c.text()).toMatch(/^ok\s+quarantine/m);
    expect(c.text()).toMatch(/^skip\s+alarms\s+CloudWatch has no local stand-in/m);
    expect(code).toBe(0);
  });

  it('fails and names the DLQ that holds messages, with the command that fixes it', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.inboxDlq, MessageBody: '{}' }));
    const c = capture();
    const code = await main(['doctor', '--local-file', stackFile], c.io);
    expect(code).toBe(1);
    expect(c.text()).toMatch(/^FAIL\s+queue inbox\s+1 message\(s\) in its DLQ: .*volt-webhooks redrive --queue inbox/m);
    expect(c.text()).toMatch(/^ok\s+queue state/m);
  });

  it('prints its advice with the flags that reach the same stack, so it runs as printed', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.stateDlq, MessageBody: '{}' }));
    const c = capture();
    await main(['doctor', '--local-file', stackFile], c.io);
    expect(c.text()).toContain(`\`npx volt-webhooks redrive --queue state --local-file ${stackFile}\``);
  });

  it('fails when the stack file is missing, saying so', async () => {
    const c = capture();
    const code = await main(['doctor', '--local-file', path.join(dir, 'absent.json')], c.io);
    expect(code).toBe(1);
    expect(c.text()).toMatch(/^FAIL\s+stack\s+.*not found/m);
  });

  it("marks its endpoint request as doctor's own, so the ingest keeps it out of the quarantine", async () => {
    endpointRequests.length = 0;
    await main(['doctor', '--local-file', stackFile], capture().io);
    expect(endpointRequests).toEqual([
      expect.objectContaining({
        headers: expect.objectContaining({ [SELF_CHECK_HEADER]: 'doctor' }),
        body: SELF_CHECK_BODY,
      }),
    ]);
    expect(endpointRequests[0]?.headers['x-respond-flow-signature']).toBeUndefined();
  });

  it("prints what Volt's registration probe looked like, failing on one that did not verify", async () => {
    const withProbe = (probe: string) => {
      const file = path.join(dir, 'probe-stack.json');
      writeFileSync(
        file,
        JSON.stringify({ ...JSON.parse(readFileSync(stackFile, 'utf8')), voltProbeSignature: probe }),
      );
      return file;
    };
    const verified = capture();
    await main(
      ['doctor', '--local-file', withProbe('verified with the configured scheme pkcs1-sha256-base64')],
      verified.io,
    );
    expect(verified.text()).toMatch(/^ok\s+volt probe\s+verified with the configured scheme pkcs1-sha256-base64/m);
    const unsigned = capture();
    await main(['doctor', '--local-file', withProbe('unsigned (no signature header)')], unsigned.io);
    expect(unsigned.text()).toMatch(/^ok\s+volt probe\s+unsigned .*says nothing about how deliveries are signed/m);
    const other = capture();
    const code = await main(
      [
        'doctor',
        '--local-file',
        withProbe('did not verify with pkcs1-sha256-base64; verifies with pss-sha256-base64 (set signatureScheme)'),
      ],
      other.io,
    );
    expect(other.text()).toMatch(/^FAIL\s+volt probe\s+did not verify .*calibrate --from-quarantine/m);
    expect(code).toBe(1);
  });

  it('fails when Volt no longer has the webhook registered', async () => {
    const hook = sim.listWebhooks()[0]!;
    sim.deleteWebhook(hook.id);
    try {
      const c = capture();
      const code = await main(['doctor', '--local-file', stackFile], c.io);
      expect(code).toBe(1);
      expect(c.text()).toMatch(/^FAIL\s+registration\s+Volt has no webhook for http:\/\/127\.0\.0\.1:\d+\/webhooks/m);
    } finally {
      await sim.registerWebhook(`${endpoint.url}/webhooks`);
    }
  });
});

describe('volt-webhooks redrive', () => {
  it("moves the state DLQ's messages back to the state queue and reports the task's progress", async () => {
    for (let i = 0; i < 3; i++)
      await sqs.send(new SendMessageCommand({ QueueUrl: urls.stateDlq, MessageBody: `{"id":"rfw_${i}"}` }));
    const c = capture();
    const code = await main(['redrive', '--local-file', stackFile, '--interval', '0.05'], c.io);
    expect(c.text()).toContain('Moving 3 message(s) from the state DLQ back to the state queue');
    expect(c.text()).toMatch(/COMPLETED: 3 of 3 message\(s\) moved/);
    expect(code).toBe(0);
    expect(await count(urls.stateDlq!)).toBe(0);
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: urls.state, MaxNumberOfMessages: 10 }));
    expect((Messages ?? []).map((m) => m.Body).sort()).toEqual(['{"id":"rfw_0"}', '{"id":"rfw_1"}', '{"id":"rfw_2"}']);
  });

  it("redrives a subscriber's DLQ only when asked for by name", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.inboxDlq, MessageBody: 'x' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.stateDlq, MessageBody: 'y' }));
    const code = await main(
      ['redrive', '--local-file', stackFile, '--queue', 'inbox', '--interval', '0.05'],
      capture().io,
    );
    expect(code).toBe(0);
    expect(await count(urls.inboxDlq!)).toBe(0);
    expect(await count(urls.inbox!)).toBe(1);
    expect(await count(urls.stateDlq!)).toBe(1);
  });

  it('says there is nothing to do for an empty DLQ', async () => {
    const c = capture();
    expect(await main(['redrive', '--local-file', stackFile], c.io)).toBe(0);
    expect(c.text()).toContain('The state DLQ is empty: nothing to redrive');
  });

  it('names the known queues when asked for an unknown one', async () => {
    const c = capture();
    expect(await main(['redrive', '--local-file', stackFile, '--queue', 'crm'], c.io)).toBe(1);
    expect(c.text()).toMatch(/no queue "crm".*known: state, inbox/);
  });
});

describe('volt-webhooks calibrate --from-quarantine', () => {
  it('finds the scheme of a quarantined request signed by the key, and leaves the quarantine as it was', async () => {
    const raw = '{"id":"rfw_q","payload":{"event_type":"message.sent"}}';
    const forged = quarantineRecord({
      reason: 'signature_mismatch',
      statusCode: 401,
      body: Buffer.from('{}'),
      signature: 'AAAA',
      receivedAt: new Date(),
    });
    const real = quarantineRecord({
      reason: 'signature_mismatch',
      statusCode: 401,
      body: Buffer.from(raw),
      signature: signBody(volt.privateKey, raw),
      receivedAt: new Date(),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.quarantine, MessageBody: JSON.stringify(forged) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.quarantine, MessageBody: JSON.stringify(real) }));
    const c = capture();
    const code = await main(['calibrate', '--from-quarantine', '--local-file', stackFile], c.io);
    expect(c.text()).toContain('2 quarantined request(s)');
    expect(c.text()).toMatch(/verifies with pkcs1-sha256-base64/);
    expect(c.text()).toMatch(/no scheme verifies/);
    expect(code).toBe(0);
    expect(await count(urls.quarantine!)).toBe(2);
  });

  it("lists Volt's registration probe first, marked as such", async () => {
    const raw = '{"id":"rfw_probe","payload":{"event_type":"webhook.test"}}';
    const forged = quarantineRecord({
      reason: 'signature_mismatch',
      statusCode: 401,
      body: Buffer.from('{}'),
      signature: 'AAAA',
      receivedAt: new Date(),
    });
    const probe = quarantineRecord({
      reason: 'registration_probe',
      statusCode: 200,
      body: Buffer.from(raw),
      signature: signBody(volt.privateKey, raw),
      receivedAt: new Date(),
      probe: {
        result: 'signature_mismatch',
        matchingSchemes: [],
        configuredScheme: 'pss-sha256-base64',
        receivedAt: '',
      },
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.quarantine, MessageBody: JSON.stringify(forged) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: urls.quarantine, MessageBody: JSON.stringify(probe) }));
    const c = capture();
    await main(['calibrate', '--from-quarantine', '--local-file', stackFile], c.io);
    const lines = c.out.filter((l) => l.startsWith('  '));
    expect(lines[0]).toMatch(/Volt's registration probe .*verifies with pkcs1-sha256-base64/);
    expect(lines[1]).toMatch(/signature_mismatch .*no scheme verifies/);
  });

  it('exits 1 on an empty quarantine', async () => {
    const c = capture();
    expect(await main(['calibrate', '--from-quarantine', '--local-file', stackFile], c.io)).toBe(1);
    expect(c.text()).toContain('The quarantine is empty');
  });
});

describe('doctor on a deployed stack (CloudWatch mocked, the rest on the stand-ins)', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  afterAll(() => cloudwatch.restore());
  afterEach(() => {
    cloudwatch.reset();
    delete process.env.DOCTOR_TEST_TOKEN;
  });

  const deployed = (): StackContext => ({
    kind: 'deployed',
    source: 'VoltSmsWebhooks',
    region: 'us-east-1',
    outputs: {
      WebhookUrl: `${endpoint.url}/webhooks`,
      StateQueueUrl: urls.state!,
      StateDlqUrl: urls.stateDlq!,
      SubscriberInboxQueueUrl: urls.inbox!,
      SubscriberInboxDlqUrl: urls.inboxDlq!,
      QuarantineQueueUrl: urls.quarantine!,
      TableName: 'messages',
    },
    dynamodb: {},
    sqs: {
      region: 'us-east-1',
      endpoint: standins.sqsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    },
  });

  it("fails on the stack's alarm in ALARM, naming it and its reason, and checks the rest like a deployed stack", async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: 'VoltSmsWebhooks-StateDlqDepth-ABC',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed: 1 datapoint [3.0]',
        },
        { AlarmName: 'VoltSmsWebhooks-IngestErrors-DEF', StateValue: 'OK' },
      ],
    });
    process.env.DOCTOR_TEST_TOKEN = sim.token;
    const results = await runDoctor(deployed(), {
      apiUrl: sim.graphqlUrl,
      tokenEnv: 'DOCTOR_TEST_TOKEN',
      keyUrl: sim.publicKeyUrl,
      timeoutMs: 5000,
    });
    const byCheck = Object.fromEntries(results.map((r) => [r.check, r]));
    expect(byCheck.alarms).toEqual({
      check: 'alarms',
      status: 'FAIL',
      reason: expect.stringMatching(/1 of 2 in ALARM: VoltSmsWebhooks-StateDlqDepth-ABC \(Threshold Crossed/),
    });
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNamePrefix).toBe('VoltSmsWebhooks-');
    expect(byCheck.registration?.status).toBe('ok');
    expect(byCheck['signing key']).toMatchObject({ status: 'ok', reason: expect.stringContaining(sim.publicKeyUrl) });
    expect(byCheck['queue SubscriberInbox']?.status).toBe('ok');
    expect(byCheck.quarantine?.status).toBe('ok');
  });

  it('skips the registration check without a token, saying how to give one', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolves({ MetricAlarms: [{ AlarmName: 'VoltSmsWebhooks-X', StateValue: 'OK' }] });
    const results = await runDoctor(deployed(), {
      tokenEnv: 'DOCTOR_TEST_TOKEN',
      keyUrl: sim.publicKeyUrl,
      timeoutMs: 5000,
    });
    expect(results.find((r) => r.check === 'registration')).toMatchObject({
      status: 'skip',
      reason: expect.stringContaining('--token-env'),
    });
    expect(results.find((r) => r.check === 'alarms')).toMatchObject({
      status: 'ok',
      reason: '1 alarm(s), none in ALARM',
    });
    expect(results.filter((r) => r.status === 'FAIL')).toEqual([]);
  });
});
