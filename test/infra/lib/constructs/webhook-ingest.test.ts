import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { testKeyPair } from '../../../helpers/keys';
import { synthStack } from '../../../helpers/synth';

const volt = testKeyPair('volt');
const SUBSCRIBERS = [{ name: 'crm', eventTypes: ['message.received'] }, { name: 'analytics' }];
const { template, stack } = synthStack({ subscribers: SUBSCRIBERS, voltPublicKeys: [volt.formats.sshRsa] });

type Resource = { Properties: Record<string, unknown> };

function ingestFunction(): [string, Resource] {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { TARGET_QUEUES: Match.anyValue() } } },
  });
  const entries = Object.entries(functions) as [string, Resource][];
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

describe('HTTP API', () => {
  it('routes POST /webhooks to the ingest function with payload format 2.0', () => {
    const [fnId] = ingestFunction();
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
  });

  it('lets API Gateway invoke the function', () => {
    const [fnId] = ingestFunction();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });
});

describe('ingest function', () => {
  it('runs on Node.js 22 or later, on arm64, with tracing', () => {
    const [, fn] = ingestFunction();
    expect(Number(/^nodejs(\d+)\.x$/.exec(String(fn.Properties.Runtime))?.[1])).toBeGreaterThanOrEqual(22);
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.Handler).toBe('index.handler');
  });

  it('lists the state queue and every subscriber with its filter', () => {
    const [, fn] = ingestFunction();
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const targets = JSON.stringify(env.TARGET_QUEUES);
    expect(targets).toContain('\\"name\\":\\"state\\"');
    expect(targets).toContain('\\"name\\":\\"crm\\"');
    expect(targets).toContain('\\"eventTypes\\":[\\"message.received\\"]');
    expect(targets).toContain('\\"name\\":\\"analytics\\"');
    expect(JSON.parse(String(env.VOLT_PUBLIC_KEYS))).toEqual([volt.formats.sshRsa]);
    expect(env.VOLT_PUBLIC_KEY_URL).toBeUndefined();
  });

  it('may only SendMessage, and only to the target queues', () => {
    const [fnId, fn] = ingestFunction();
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ) as Resource[];
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
    );
    // The quarantine of rejected requests has its own SendMessage grant (lib/constructs/quarantine.test.ts).
    const quarantineArn = {
      'Fn::GetAtt': [stack.getLogicalId(stack.pipeline.quarantine.queue.node.defaultChild as CfnElement), 'Arn'],
    };
    const quarantineStatements = statements.filter((s) => JSON.stringify(s.Resource) === JSON.stringify(quarantineArn));
    expect(quarantineStatements.map((s) => s.Action)).toEqual(['sqs:SendMessage']);
    const sqsStatements = statements.filter(
      (s) => !quarantineStatements.includes(s) && [s.Action].flat().some((a) => a.startsWith('sqs:')),
    );
    expect(sqsStatements).toHaveLength(1);
    expect(sqsStatements[0]!.Action).toBe('sqs:SendMessage');
    const archiveQueueId = stack.getLogicalId(stack.pipeline.archive!.queue.queue.node.defaultChild as CfnElement);
    const queueIds = Object.keys(
      template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }),
    ).filter((id) => id !== archiveQueueId);
    // The state queue and two subscribers'; not the archive queue, which the consumer forwards to.
    expect(queueIds).toHaveLength(3);
    expect(sqsStatements[0]!.Resource).toEqual(
      expect.arrayContaining(queueIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }))),
    );
    expect((sqsStatements[0]!.Resource as unknown[]).length).toBe(3);
    expect(JSON.stringify(statements)).not.toContain(archiveQueueId);
    // Nothing else but X-Ray's own write actions.
    const others = statements
      .filter((s) => !sqsStatements.includes(s) && !quarantineStatements.includes(s))
      .flatMap((s) => [s.Action].flat());
    expect(others.every((a) => a.startsWith('xray:'))).toBe(true);
    expect(fnId).toBeTruthy();
  });

  it('has a log group with retention', () => {
    const [, fn] = ingestFunction();
    const groupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(template.toJSON().Resources[groupId].Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

describe('queues', () => {
  it('are encrypted, and every queue and DLQ denies requests without TLS', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    // Four queues (state, two subscribers, archive) with their DLQs, the quarantine, and the status-event publisher's failure destination.
    expect(Object.keys(queues)).toHaveLength(10);
    for (const q of Object.values(queues) as Resource[]) expect(q.Properties.SqsManagedSseEnabled).toBe(true);
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as Resource[];
    const covered = policies
      .filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'))
      .flatMap((p) => (p.Properties.Queues as { Ref: string }[]).map((r) => r.Ref));
    expect(covered.sort()).toEqual(Object.keys(queues).sort());
  });

  it('send every message to a DLQ after 5 receives', () => {
    const main = Object.values(
      template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.anyValue() } }),
    ) as Resource[];
    expect(main).toHaveLength(4);
    for (const q of main) expect((q.Properties.RedrivePolicy as { maxReceiveCount: number }).maxReceiveCount).toBe(5);
  });

  it('give the state queue a visibility timeout of at least 6x a 30 s consumer', () => {
    const id = stack.getLogicalId(stack.pipeline.stateQueue.queue.node.defaultChild as CfnElement);
    expect(Number(template.toJSON().Resources[id].Properties.VisibilityTimeout)).toBeGreaterThanOrEqual(180);
  });

  it('keep DLQ messages for 14 days', () => {
    const quarantineId = stack.getLogicalId(stack.pipeline.quarantine.queue.node.defaultChild as CfnElement);
    const dlqs = Object.entries(
      template.findResources('AWS::SQS::Queue', { Properties: { RedrivePolicy: Match.absent() } }),
    ).filter(([id]) => id !== quarantineId);
    // The four DLQs, and the publisher's failure destination.
    expect(dlqs).toHaveLength(5);
    for (const [, q] of dlqs) expect((q as Resource).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });
});

describe('outputs', () => {
  it('give the webhook URL and every queue and DLQ URL and ARN', () => {
    const outputs = Object.keys(template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'WebhookUrl',
        ...['State', 'SubscriberCrm', 'SubscriberAnalytics'].flatMap((p) =>
          ['QueueUrl', 'QueueArn', 'DlqUrl', 'DlqArn'].map((s) => `${p}${s}`),
        ),
      ]),
    );
    template.hasOutput('WebhookUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/webhooks$')])] },
    });
  });

  it('hard-code no physical resource names, so two deployments fit in one account', () => {
    const resources = Object.values(stack.resolve(template.toJSON().Resources) as Record<string, Resource>);
    const physicalNames = ['QueueName', 'FunctionName', 'TableName', 'RoleName', 'TopicName', 'LogGroupName'];
    const literal = (r: Resource) => physicalNames.some((k) => typeof (r.Properties ?? {})[k] === 'string');
    expect(resources.filter(literal)).toEqual([]);
  });
});

describe('the deployable bundle', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'volt-synth-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('exports the handler the template names, and starts on this Node', () => {
    const { app, template: bundled } = synthStack({ voltPublicKeys: [volt.formats.sshRsa] }, { bundle: true, outdir });
    app.synth();
    const [fnId, fn] = Object.entries(
      bundled.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { TARGET_QUEUES: Match.anyValue() } } },
      }),
    )[0] as [string, { Metadata: Record<string, string>; Properties: { Handler: string } }];
    const assetDir = path.join(outdir, fn.Metadata['aws:asset:path']!);
    const [file, exportName] = fn.Properties.Handler.split('.');
    const bundlePath = path.join(assetDir, `${file}.mjs`);
    expect(existsSync(bundlePath)).toBe(true);
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(bundlePath)}); console.log(typeof m[${JSON.stringify(exportName)}]);`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: 'http://127.0.0.1:1/q' }]),
          VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.sshRsa]),
          AWS_REGION: 'us-east-1',
        },
        encoding: 'utf8',
      },
    );
    // The SDK warns about Node 20's end of support; anything else on stderr is a failure to load.
    expect(probe.stderr).not.toMatch(/Error|Cannot find/);
    expect(probe.status).toBe(0);
    expect(probe.stdout.trim()).toBe('function');
    expect(fnId).toBeTruthy();
    // No --enable-source-maps on the latency-bound function, but the map ships for offline mapping.
    expect(existsSync(`${bundlePath}.map`)).toBe(true);
    const env = (bundled.toJSON().Resources[fnId].Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env['NODE_OPTIONS']).toBeUndefined();
  }, 60_000);
});
