import { App, Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MessageStore, type MessageStoreProps } from '../../../../lib/constructs/message-store';
import { VoltWebhookPipeline } from '../../../../lib/constructs/volt-webhook-pipeline';
import { CONTACT_INDEX, FAILED_INDEX } from '../../../../lambda/common/message-table';
import { synthStack } from '../../../helpers/synth';

type Resource = { Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };

const { template, stack } = synthStack({ messageRetentionDays: 90 });

function only(type: string): [string, Resource] {
  const found = Object.entries(template.findResources(type)) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0]!;
}

function consumerFunction(): [string, Resource] {
  const found = Object.entries(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { TABLE_NAME: Match.anyValue() } } },
    }),
  ) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** A MessageStore alone in a stack, for prop validation. */
function storeWith(props: Partial<MessageStoreProps>, visibility = Duration.seconds(180)) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const s = new Stack(app, 'S');
  return () =>
    new MessageStore(s, 'Store', { stateQueue: new sqs.Queue(s, 'Q', { visibilityTimeout: visibility }), ...props });
}

describe('messages table', () => {
  it('is keyed by messageId alone, on demand, encrypted, with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'messageId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is retained when the stack is deleted, unless told otherwise', () => {
    const [, table] = only('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'Destroyable');
    new MessageStore(s, 'Store', {
      stateQueue: new sqs.Queue(s, 'Q', { visibilityTimeout: Duration.seconds(180) }),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(Object.values(Template.fromStack(s).findResources('AWS::DynamoDB::Table'))[0]).toMatchObject({
      DeletionPolicy: 'Delete',
    });
  });

  it('expires items by TTL on expiresAt when a retention is configured, and the consumer knows the retention', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    const [, fn] = consumerFunction();
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.MESSAGE_RETENTION_DAYS).toBe(
      '90',
    );
    const { template: noTtl } = synthStack();
    noTtl.hasResourceProperties('AWS::DynamoDB::Table', { TimeToLiveSpecification: Match.absent() });
  });

  it('has a contact index and a sharded failed index, both sorted by occurredAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'contactNumber', AttributeType: 'S' },
        { AttributeName: 'occurredAt', AttributeType: 'S' },
        { AttributeName: 'failedShard', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: Match.arrayWith([
        Match.objectLike({
          IndexName: CONTACT_INDEX.name,
          KeySchema: [
            { AttributeName: 'contactNumber', KeyType: 'HASH' },
            { AttributeName: 'occurredAt', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: Match.arrayWith(['status', 'fromNumber', 'toNumber']),
          },
        }),
        Match.objectLike({
          IndexName: FAILED_INDEX.name,
          KeySchema: [
            { AttributeName: 'failedShard', KeyType: 'HASH' },
            { AttributeName: 'occurredAt', KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: 'INCLUDE',
            NonKeyAttributes: Match.arrayWith(['status', 'errorCode', 'providerErrorTitle']),
          },
        }),
      ]),
    });
  });

  it('keeps history out of the indexes', () => {
    const [, table] = only('AWS::DynamoDB::Table');
    expect(JSON.stringify(table.Properties.GlobalSecondaryIndexes)).not.toMatch(/history|appliedIds/);
  });
});

describe('consumer', () => {
  it('reads the state queue in batches with partial batch failure reporting', () => {
    const [fnId] = consumerFunction();
    const stateQueueId = stack.getLogicalId(stack.pipeline.stateQueue.queue.node.defaultChild as sqs.CfnQueue);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fnId },
      EventSourceArn: { 'Fn::GetAtt': [stateQueueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 25,
      MaximumBatchingWindowInSeconds: 1,
    });
    // The consumer's only one (the status-event publisher reads the table's stream through its own).
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: fnId } } }),
      ),
    ).toHaveLength(1);
  });

  it('times out within a sixth of the state queue visibility timeout', () => {
    const [, fn] = consumerFunction();
    const stateQueueId = stack.getLogicalId(stack.pipeline.stateQueue.queue.node.defaultChild as sqs.CfnQueue);
    const visibility = Number(template.toJSON().Resources[stateQueueId].Properties.VisibilityTimeout);
    expect(Number(fn.Properties.Timeout)).toBeLessThanOrEqual(30);
    expect(visibility).toBeGreaterThanOrEqual(6 * Number(fn.Properties.Timeout));
  });

  it('runs the consumer bundle on Node.js 22+, arm64, with tracing, and knows its table', () => {
    const [, fn] = consumerFunction();
    const [tableId] = only('AWS::DynamoDB::Table');
    expect(fn.Properties.Handler).toBe('index.handler');
    expect(Number(/^nodejs(\d+)\.x$/.exec(String(fn.Properties.Runtime))?.[1])).toBeGreaterThanOrEqual(22);
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.TABLE_NAME).toEqual({
      Ref: tableId,
    });
    // Source maps are not parsed at each cold start (docs/performance.md).
    expect(
      (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.NODE_OPTIONS,
    ).toBeUndefined();
  });

  it('may only UpdateItem on this table (not its indexes), besides reading its queue, forwarding to the archive queue and writing traces', () => {
    const [, fn] = consumerFunction();
    const [tableId] = only('AWS::DynamoDB::Table');
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: { 'Fn::GetAtt': [tableId, 'Arn'] } },
        ]),
      },
    });
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ) as Resource[];
    const statements = policies.flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
    );
    const actions = statements.flatMap((st) => [st.Action].flat());
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:UpdateItem']);
    expect(actions.every((a) => a === 'dynamodb:UpdateItem' || a.startsWith('xray:') || a.startsWith('sqs:'))).toBe(
      true,
    );
    // Besides reading its queue, the one SQS action is the archive forward's SendMessage, on the archive queue only.
    const archiveQueueId = stack.getLogicalId(stack.pipeline.archive!.queue.queue.node.defaultChild as CfnElement);
    const sends = statements.filter((st) => [st.Action].flat().includes('sqs:SendMessage'));
    expect(sends).toEqual([
      expect.objectContaining({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [archiveQueueId, 'Arn'] } }),
    ]);
    expect(
      actions
        .filter((a) => a.startsWith('sqs:') && a !== 'sqs:SendMessage')
        .every((a) =>
          [
            'sqs:ReceiveMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueUrl',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
          ].includes(a),
        ),
    ).toBe(true);
  });
});

describe('outputs', () => {
  it('give the table name and ARN', () => {
    const [tableId] = only('AWS::DynamoDB::Table');
    template.hasOutput('TableName', { Value: { Ref: tableId } });
    template.hasOutput('TableArn', { Value: { 'Fn::GetAtt': [tableId, 'Arn'] } });
  });
});

describe('props validation', () => {
  it.each([[0], [1.5], [40_000]])('refuses messageRetentionDays %p', (days) => {
    expect(storeWith({ messageRetentionDays: days })).toThrow(/messageRetentionDays must be a whole number/);
  });

  it('refuses a consumer timeout the state queue visibility timeout cannot cover six times', () => {
    expect(storeWith({ consumerTimeout: Duration.seconds(20) }, Duration.seconds(60))).toThrow(
      /at least 6x the consumer timeout/,
    );
    expect(storeWith({ consumerTimeout: Duration.seconds(10) }, Duration.seconds(60))).not.toThrow();
  });

  it('refuses a batch size above 100 and a consumer timeout above 30 s', () => {
    expect(storeWith({ batchSize: 500 })).toThrow(/batchSize/);
    expect(storeWith({ consumerTimeout: Duration.seconds(60) }, Duration.seconds(900))).toThrow(/consumerTimeout/);
  });

  it('refuses a retention the pipeline is given that is not a whole number of days', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => new VoltWebhookPipeline(new Stack(app, 'P'), 'Pipeline', { messageRetentionDays: 1.5 })).toThrow(
      /MessageStore: messageRetentionDays/,
    );
  });
});

describe('the consumer bundle', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'volt-consumer-synth-'));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('exports the handler the template names, and loads on this Node with its configuration', () => {
    const { app, template: bundled } = synthStack({}, { bundle: true, outdir });
    app.synth();
    const [, fn] = Object.entries(
      bundled.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { TABLE_NAME: Match.anyValue() } } },
      }),
    )[0] as [string, { Metadata: Record<string, string>; Properties: { Handler: string } }];
    const [file, exportName] = fn.Properties.Handler.split('.');
    const bundlePath = path.join(outdir, fn.Metadata['aws:asset:path']!, `${file}.mjs`);
    expect(existsSync(bundlePath)).toBe(true);
    const probe = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(bundlePath)}); console.log(typeof m[${JSON.stringify(exportName)}]);`,
      ],
      {
        env: { PATH: process.env.PATH, TABLE_NAME: 'messages', AWS_REGION: 'us-east-1' },
        encoding: 'utf8',
      },
    );
    // The SDK warns about Node 20's end of support; anything else on stderr is a failure to load.
    expect(probe.stderr).not.toMatch(/Error|Cannot find/);
    expect(probe.status).toBe(0);
    expect(probe.stdout.trim()).toBe('function');
  }, 120_000);
});

describe('MessageStore archiveQueue', () => {
  it("grants the consumer the queue's customer managed key for SendMessage, beside sqs:SendMessage", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const s = new Stack(app, 'S');
    const archiveQueue = new sqs.Queue(s, 'Archive', { encryption: sqs.QueueEncryption.KMS });
    new MessageStore(s, 'Store', {
      stateQueue: new sqs.Queue(s, 'Q', { visibilityTimeout: Duration.seconds(180) }),
      archiveQueue,
    });
    const t = Template.fromStack(s);
    const keyId = s.getLogicalId(archiveQueue.encryptionMasterKey!.node.defaultChild as CfnElement);
    const queueId = s.getLogicalId(archiveQueue.node.defaultChild as CfnElement);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } }),
          Match.objectLike({
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ARCHIVE_QUEUE_URL: { Ref: queueId } }) },
    });
  });
});
