import { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../../cli/main';
import { archiveObjectKey, encodeArchiveObject, type ArchiveRecord } from '../../../../lambda/common/archive-record';
import { parseScheme, signBody } from '../../../../lambda/common/signature';
import { answerFromArchive, signedRecord } from '../../../helpers/archive-records';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
const cfn = mockClient(CloudFormationClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const CRM_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/crm-sync';
const OUTPUTS = {
  ArchiveBucketName: 'volt-archive',
  ArchivePrefix: 'deliveries/',
  StateQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/state',
  StateDlqUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/state-dlq',
  SubscriberCrmSyncQueueUrl: CRM_URL,
  SubscriberCrmSyncDlqUrl: `${CRM_URL}-dlq`,
};

let dir: string;
let keyFile: string;
let sent: { queueUrl: string; entries: SendMessageBatchRequestEntry[] }[];

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

function useArchive(records: ArchiveRecord[], outputs: Record<string, string> = OUTPUTS): void {
  cfn.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'VoltSmsWebhooks',
        CreationTime: new Date(),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
  const objects = new Map([
    [archiveObjectKey('deliveries/', new Date(records[0]?.receivedAt ?? 0), ['a']), encodeArchiveObject(records)],
  ]);
  answerFromArchive(s3, objects);
}

const RECORDS = [1, 2, 3].map((n) =>
  signedRecord(volt.privateKey, { webhookId: `rfw_${n}`, receivedAt: `2026-11-29T10:0${n}:00.000Z` }),
);
const BASE = ['replay', '--since', '2026-11-29T10:00:00Z', '--until', '2026-11-29T11:00:00Z', '--region', 'eu-west-1'];
const args = (...more: string[]) => [...BASE, '--public-key', keyFile, '--progress-dir', dir, ...more];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'replay-cmd-'));
  keyFile = path.join(dir, 'volt.pub');
  writeFileSync(keyFile, volt.formats.sshRsa);
  sent = [];
  cfn.reset();
  s3.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
    sent.push({ queueUrl: input.QueueUrl, entries: input.Entries });
    return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })), Failed: [] };
  });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('volt-webhooks replay', () => {
  it.each([
    [['replay', '--since', '2026-11-29', '--until', '2026-11-30'], /--to is required/],
    [['replay', '--since', 'yesterday', '--until', '2026-11-30', '--to', 'state'], /--since must be an ISO 8601/],
    [
      [
        'replay',
        '--since',
        '2026-11-29',
        '--until',
        '2026-11-30',
        '--to',
        'state',
        '--no-verify',
        '--key-url',
        'https://k',
      ],
      /--no-verify takes no keys/,
    ],
    [['replay', '--since', '2026-11-29', '--until', '2026-11-30', '--to', 'state', '--scheme', 'rsa'], /--scheme/],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    const c = capture();
    expect(await main(argv, c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(message);
    expect(c.err.join('\n')).toContain('Usage: volt-webhooks replay');
  });

  it('replays into a subscriber by name, then refuses to send a finished window twice unless --restart', async () => {
    useArchive(RECORDS);
    const c = capture();
    expect(await main(args('--to', 'crm-sync'), c.io)).toBe(0);
    expect(c.err).toEqual([]);
    expect(sent.map((s) => s.queueUrl)).toEqual([CRM_URL]);
    expect(sent.flatMap((s) => s.entries.map((e) => e.MessageBody))).toEqual(RECORDS.map((r) => r.body));
    const text = c.out.join('\n');
    expect(text).toContain('into subscriber crm-sync');
    expect(text).toContain('3 sent (message.sent 3)');
    expect(readdirSync(dir).filter((f) => f.endsWith('.ndjson'))).toHaveLength(1);

    const again = capture();
    expect(await main(args('--to', 'crm-sync'), again.io)).toBe(0);
    expect(again.out.join('\n')).toMatch(/This replay finished at .*nothing sent/);
    expect(sent).toHaveLength(1);

    expect(await main(args('--to', 'crm-sync', '--restart'), capture().io)).toBe(0);
    expect(sent).toHaveLength(2);
  });

  it('exits 1 and lists what does not verify with the trusted keys, sending the rest', async () => {
    const forged = signedRecord(testKeyPair('mallory').privateKey, {
      webhookId: 'rfw_9',
      receivedAt: '2026-11-29T10:09:00.000Z',
    });
    useArchive([...RECORDS, forged]);
    const c = capture();
    expect(await main(args('--to', 'state'), c.io)).toBe(1);
    expect(c.out.join('\n')).toMatch(
      /1 refused \(not sent\):\n\s+rfw_9\s+received 2026-11-29T10:09:00.000Z\s+signature does not verify/,
    );
    expect(sent.flatMap((s) => s.entries)).toHaveLength(3);
    expect(sent[0]?.queueUrl).toBe(OUTPUTS.StateQueueUrl);
  });

  it('--no-verify sends what the keys would refuse; --dry-run sends nothing', async () => {
    const forged = signedRecord(testKeyPair('mallory').privateKey, {
      webhookId: 'rfw_9',
      receivedAt: '2026-11-29T10:09:00.000Z',
    });
    useArchive([forged]);
    const dry = capture();
    expect(await main([...BASE, '--no-verify', '--dry-run', '--progress-dir', dir, '--to', 'state'], dry.io)).toBe(0);
    expect(dry.out.join('\n')).toContain('Dry run: would replay');
    expect(sent).toEqual([]);
    const c = capture();
    expect(await main([...BASE, '--no-verify', '--progress-dir', dir, '--to', CRM_URL, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join('')) as unknown).toMatchObject({ sent: 1, refused: [], target: CRM_URL });
    expect(sent.map((s) => s.queueUrl)).toEqual([CRM_URL]);
  });

  it('exits 1 with one line for a stack without an archive or an unknown target', async () => {
    useArchive(RECORDS, { StateQueueUrl: OUTPUTS.StateQueueUrl, StateDlqUrl: OUTPUTS.StateDlqUrl });
    const c = capture();
    expect(await main(args('--to', 'state'), c.io)).toBe(1);
    expect(c.err).toEqual([
      expect.stringMatching(/^Error: stack "VoltSmsWebhooks" has no archive \(no ArchiveBucketName output\)/),
    ]);
    useArchive(RECORDS);
    const unknown = capture();
    expect(await main(args('--to', 'nobody'), unknown.io)).toBe(1);
    expect(unknown.err).toEqual([expect.stringMatching(/^Error: no queue "nobody".*known: state, CrmSync/)]);
  });

  it('stops between two batches on Ctrl-C (exit 130) and resumes from its progress record', async () => {
    const many = Array.from({ length: 15 }, (_, i) =>
      signedRecord(volt.privateKey, {
        webhookId: `rfw_c${i}`,
        receivedAt: new Date(Date.parse('2026-11-29T10:00:00Z') + i * 1000).toISOString(),
      }),
    );
    useArchive(many);
    // Only the command's own handler may see the signal in this test: jest's would end the run.
    expect(process.listenerCount('SIGINT')).toBe(0);
    sqs
      .on(SendMessageBatchCommand)
      .callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
        sent.push({ queueUrl: input.QueueUrl, entries: input.Entries });
        process.emit('SIGINT');
        return {
          Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
          Failed: [],
        };
      });
    const c = capture();
    expect(await main(args('--to', 'state'), c.io)).toBe(130);
    expect(c.out.join('\n')).toContain('Interrupted: run the same command again');
    expect(sent.flatMap((s) => s.entries)).toHaveLength(10);
    expect(process.listenerCount('SIGINT')).toBe(0);

    sqs
      .on(SendMessageBatchCommand)
      .callsFake((input: { QueueUrl: string; Entries: SendMessageBatchRequestEntry[] }) => {
        sent.push({ queueUrl: input.QueueUrl, entries: input.Entries });
        return {
          Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
          Failed: [],
        };
      });
    const again = capture();
    expect(await main(args('--to', 'state'), again.io)).toBe(0);
    expect(again.out.join('\n')).toContain('10 skipped: sent by an earlier run of this replay');
    const ids = sent.flatMap((s) => s.entries.map((e) => e.MessageAttributes?.['webhookId']?.StringValue));
    expect(ids).toEqual(many.map((r) => r.webhookId));
  });

  describe("a deployed stack's own keys", () => {
    const template = (ingestEnv: Record<string, unknown>) =>
      cfn.on(GetTemplateCommand, { StackName: 'VoltSmsWebhooks' }).resolves({
        TemplateBody: JSON.stringify({
          Resources: {
            Consumer: {
              Type: 'AWS::Lambda::Function',
              Properties: { Environment: { Variables: { TABLE_NAME: 't' } } },
            },
            Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
            Ingest7F3A: {
              Type: 'AWS::Lambda::Function',
              Properties: { Environment: { Variables: { TARGET_QUEUES: { 'Fn::Join': ['', []] }, ...ingestEnv } } },
            },
          },
        }),
      });
    const deployed = (...more: string[]) => [...BASE, '--progress-dir', dir, '--to', 'state', ...more];

    it('verifies with the keys pinned on the ingest function and under its scheme', async () => {
      const pss = 'pss-sha512-hex';
      useArchive(RECORDS.map((r) => ({ ...r, signature: signBody(volt.privateKey, r.body, parseScheme(pss)) })));
      template({ VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.spkiPem]), SIGNATURE_SCHEME: pss });
      const c = capture();
      expect(await main(deployed(), c.io)).toBe(0);
      expect(c.out.join('\n')).toContain("keys: the keys pinned on the stack's ingest (Ingest7F3A)");
      expect(sent.flatMap((s) => s.entries)).toHaveLength(3);
      // The same records under another scheme than the stack's do not verify.
      sent = [];
      const other = capture();
      expect(await main(deployed('--scheme', 'pkcs1-sha256-base64', '--restart'), other.io)).toBe(1);
      expect(other.out.join('\n')).toContain('3 refused');
      expect(sent).toEqual([]);
    });

    it('says what to pass when the template cannot be read or computes the keys', async () => {
      useArchive(RECORDS);
      cfn
        .on(GetTemplateCommand)
        .rejects(Object.assign(new Error('not allowed'), { name: 'AccessDenied', $metadata: {} }));
      const denied = capture();
      expect(await main(deployed(), denied.io)).toBe(1);
      expect(denied.err).toEqual(['Error: access denied: not allowed']);
      template({ VOLT_PUBLIC_KEYS: { 'Fn::GetAtt': ['Keys', 'Value'] } });
      const computed = capture();
      expect(await main(deployed(), computed.io)).toBe(1);
      expect(computed.err).toEqual([
        `Error: stack "VoltSmsWebhooks": the ingest's VOLT_PUBLIC_KEYS is computed in the template: pass --public-key or --key-url`,
      ]);
      expect(sent).toEqual([]);
    });

    it("uses the ingest's key URL when it pins no keys", async () => {
      useArchive(RECORDS);
      template({ VOLT_PUBLIC_KEY_URL: 'https://keys.invalid/volt.pub' });
      const c = capture();
      // The URL cannot be fetched here: the run fails closed, sending nothing.
      expect(await main(deployed(), c.io)).toBe(1);
      expect(c.err).toEqual([
        'Error: KeysUnavailableError: no public key could be fetched from https://keys.invalid/volt.pub',
      ]);
      expect(c.out.join('\n')).toContain("keys: https://keys.invalid/volt.pub (the stack's ingest, Ingest7F3A)");
      expect(sent).toEqual([]);
    });
  });
});
