import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { testKeyPair } from '../../helpers/keys';
import { synthStack } from '../../helpers/synth';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// The feature flags `cdk deploy` synthesizes with: they change the template cdk-nag looks at.
const FLAGS = (JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> })
  .context;
const volt = testKeyPair('volt');

const FULL = {
  ...FLAGS,
  subscribers: JSON.stringify([{ name: 'crm', eventTypes: ['message.received'] }, { name: 'analytics-sync' }]),
  voltApiTokenSecret: 'volt/api-token',
  alarmEmail: 'ops@example.com',
  voltPublicKeys: JSON.stringify([volt.formats.sshRsa]),
  eventRules: JSON.stringify([{ name: 'failures', pattern: { detail: { status: ['failed'] } } }]),
};

/** `severity rule at path` lines: readable when the assertion fails. */
function findings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
}

describe('cdk-nag AwsSolutions checks', () => {
  it('find no unacknowledged error or warning in the stack with subscribers, an event rule, registration and an alarm email', () => {
    const { stack } = synthStack(FULL);
    expect(findings(stack)).toEqual([]);
  });

  it('find none in the smallest configuration either (no subscriber, no registration, key fetched from the URL)', () => {
    const { stack } = synthStack(FLAGS);
    expect(findings(stack)).toEqual([]);
  });

  it('find none with the archive in a bucket passed in, with Object Lock, or with the archive off', () => {
    expect(findings(synthStack({ ...FLAGS, archiveBucket: 'their-archive', archivePrefix: 'volt/' }).stack)).toEqual(
      [],
    );
    expect(findings(synthStack({ ...FLAGS, archiveObjectLockDays: '30', archiveRetentionDays: '365' }).stack)).toEqual(
      [],
    );
    expect(findings(synthStack({ ...FLAGS, archive: 'false' }).stack)).toEqual([]);
  });

  it('do report what is not acknowledged, so the two checks above are not vacuous', () => {
    const { stack } = synthStack(FLAGS);
    new sqs.Queue(stack, 'Unguarded', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const rules = findings(stack).filter((f) => f.includes('/Unguarded/'));
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.stringContaining('AwsSolutions-SQS3'),
        expect.stringContaining('AwsSolutions-SQS4'),
      ]),
    );
  });

  it('are acknowledged one resource at a time (with its own policy at most), each with a specific reason', () => {
    const { stack } = synthStack(FULL);
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata
          .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((m) => ({ c, rules: m.data as Record<string, string> })),
      )
      .filter(({ rules }) => Object.keys(rules).some((id) => id.includes('AwsSolutions-')));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { c, rules } of acknowledged) {
      expect(Stack.isStack(c)).toBe(false);
      const resources = c.node.findAll().filter(CfnResource.isCfnResource);
      const own = resources.filter((r) => r.cfnResourceType !== 'AWS::IAM::Policy');
      expect({ path: c.node.path, resources: own.map((r) => r.cfnResourceType) }).toEqual({
        path: c.node.path,
        resources: [expect.any(String)],
      });
      for (const reason of Object.values(rules)) expect(reason.length).toBeGreaterThanOrEqual(60);
    }
  });

  it('leave a "*" resource only in statements of X-Ray write actions', () => {
    const { template } = synthStack(FULL);
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
    const documents = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).map(
        (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument,
      ),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((r) =>
        (
          (r as { Properties: { Policies?: { PolicyDocument: { Statement: Statement[] } }[] } }).Properties.Policies ??
          []
        ).map((p) => p.PolicyDocument),
      ),
    ];
    const wildcard = documents
      .flatMap((d) => d.Statement)
      .filter((s) => s.Effect === 'Allow' && [s.Resource].flat().includes('*'));
    expect(wildcard.length).toBeGreaterThan(0);
    for (const s of wildcard)
      expect([s.Action].flat().every((a) => /^xray:Put(TraceSegments|TelemetryRecords)$/.test(a))).toBe(true);
  });

  it('attach no AWS managed policy to any role', () => {
    const { template } = synthStack(FULL);
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect((role as { Properties: { ManagedPolicyArns?: unknown } }).Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('bin/app.ts with -c nag=true', () => {
  it('synthesizes the app with the checks on, without a finding', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'volt-nag-'));
    try {
      const run = spawnSync(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'bin', 'app.ts')],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: {
            ...process.env,
            CDK_OUTDIR: outdir,
            CDK_CONTEXT_JSON: JSON.stringify({ ...FULL, nag: 'true', 'aws:cdk:bundling-stacks': [] }),
          },
        },
      );
      // A finding would fail the synth with the rule and the construct path on stderr.
      expect({
        status: run.status,
        findings: run.stderr.split('\n').filter((line) => /AwsSolutions|ERROR|WARN/.test(line)),
      }).toEqual({ status: 0, findings: [] });
      expect(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).toContain('VoltSmsWebhooks');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 60_000);
});
