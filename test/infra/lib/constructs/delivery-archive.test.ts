import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DeliveryArchive, type DeliveryArchiveProps } from '../../../../lib/constructs/delivery-archive';
import { readAppConfig } from '../../../../lib/config';
import { ROLE_METADATA_KEY } from '../../../../lib/template-contract';
import { describeProblem, InvalidPropsError } from '../../../../lib/validation';
import { ARCHIVE_RECORD_FIELDS } from '../../../../lambda/common/archive-record';
import { synthStack } from '../../../helpers/synth';

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DeletionPolicy?: string;
};

/** One DeliveryArchive alone in a stack (bundling skipped). */
function synth(props?: DeliveryArchiveProps | ((stack: Stack) => DeliveryArchiveProps)) {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const archive = new DeliveryArchive(stack, 'Archive', typeof props === 'function' ? props(stack) : props);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  return { stack, archive, template, resources, id };
}

describe('DeliveryArchive bucket', () => {
  const { archive, resources, id, template } = synth();
  const bucket = resources[id(archive.bucket)]!;
  const logs = resources[id(archive.accessLogsBucket!)]!;

  it('is encrypted (SSE-S3), versioned, private and owner-enforced, and kept when the stack is deleted', () => {
    expect(bucket.Properties['BucketEncryption']).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.Properties['VersioningConfiguration']).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties['PublicAccessBlockConfiguration']).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties['OwnershipControls']).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Metadata?.[ROLE_METADATA_KEY]).toBe('archiveBucket');
  });

  it('denies every request not made over TLS, on both buckets', () => {
    for (const bucketId of [id(archive.bucket), id(archive.accessLogsBucket!)]) {
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('logs its access to the log bucket, which S3 log delivery may write to for this bucket only (no ACLs)', () => {
    expect(bucket.Properties['LoggingConfiguration']).toEqual({
      DestinationBucketName: { Ref: id(archive.accessLogsBucket!) },
      LogFilePrefix: 'archive-bucket/',
    });
    expect(logs.Properties['AccessControl']).toBeUndefined();
    expect(logs.Properties['OwnershipControls']).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id(archive.accessLogsBucket!) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Condition: Match.objectLike({
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [id(archive.bucket), 'Arn'] } },
            }),
          }),
        ]),
      },
    });
  });

  it('keeps the deliveries forever by default: no expiration, only incomplete uploads are cleaned', () => {
    const rules = (bucket.Properties['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toEqual([{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }]);
    expect(bucket.Properties['ObjectLockEnabled']).toBeUndefined();
  });

  it('expires the deliveries (and replaced versions) after retentionDays, under the prefix', () => {
    const { archive: a, resources: r, id: i } = synth({ retentionDays: 400 });
    const rules = (r[i(a.bucket)]!.Properties['LifecycleConfiguration'] as { Rules: Record<string, unknown>[] }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: 'deliveries/',
        ExpirationInDays: 400,
        NoncurrentVersionExpiration: { NoncurrentDays: 1 },
        Status: 'Enabled',
      }),
    );
  });

  it('locks each object with Object Lock when asked, governance by default, compliance on request', () => {
    const governance = synth({ objectLockDays: 30 });
    expect(governance.resources[governance.id(governance.archive.bucket)]!.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
    const compliance = synth({ objectLockDays: 365, objectLockMode: 'COMPLIANCE', retentionDays: 3650 });
    expect(compliance.resources[compliance.id(compliance.archive.bucket)]!.Properties).toMatchObject({
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
  });

  it('uses a bucket passed in, creating none, and writes only under the prefix there', () => {
    const { template: t } = synth((stack) => ({
      bucket: s3.Bucket.fromBucketName(stack, 'Theirs', 'their-bucket'),
      prefix: 'volt/',
    }));
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::their-bucket/volt/*']] },
          }),
        ]),
      },
    });
  });
});

describe('DeliveryArchive queue and archiver', () => {
  const { archive, resources, id, template } = synth();

  it('is a durable queue marked archive, kept 14 days, with a visibility over 6x the archiver timeout plus the window', () => {
    const queue = resources[id(archive.queue.queue)]!;
    expect(queue.Metadata?.[ROLE_METADATA_KEY]).toBe('archive');
    expect(resources[id(archive.queue.deadLetterQueue)]!.Metadata?.[ROLE_METADATA_KEY]).toBe('archiveDlq');
    expect(queue.Properties['MessageRetentionPeriod']).toBe(14 * 86400);
    expect(queue.Properties['VisibilityTimeout']).toBeGreaterThanOrEqual(6 * 60 + 60);
  });

  it('drains it in large batches with a batching window and partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(archive.queue.queue), 'Arn'] },
      BatchSize: 10_000,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('may only put objects under the prefix of its bucket (no read, list or delete)', () => {
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy');
    const s3Actions = policies
      .flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: { Action: string | string[] }[] }).Statement)
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith('s3:'));
    expect(s3Actions).toEqual(['s3:PutObject']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [id(archive.bucket), 'Arn'] }, '/deliveries/*']] },
          }),
        ]),
      },
    });
  });
});

describe('DeliveryArchive Glue table', () => {
  const { archive, resources } = synth({ prefix: 'volt/deliveries/' });
  const table = Object.values(resources).find((r) => r.Type === 'AWS::Glue::Table')!;
  const input = table.Properties['TableInput'] as {
    Name: string;
    TableType: string;
    PartitionKeys: unknown[];
    Parameters: Record<string, string>;
    StorageDescriptor: {
      Location: unknown;
      Columns: { Name: string; Type: string }[];
      SerdeInfo: { SerializationLibrary: string; Parameters: Record<string, string> };
    };
  };

  it('is an external JSON table of the archive record fields, over the bucket and prefix', () => {
    expect(input.Name).toBe('deliveries');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.StorageDescriptor.Columns).toEqual(
      ARCHIVE_RECORD_FIELDS.map((f) => ({ Name: f.toLowerCase(), Type: 'string' })),
    );
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(input.StorageDescriptor.SerdeInfo.Parameters['mapping.webhookid']).toBe('webhookId');
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/volt/deliveries/');
  });

  it('projects an hourly dt partition over yyyy/MM/dd/HH, with no crawler', () => {
    expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy/MM/dd/HH',
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'HOURS',
    });
    expect(input.Parameters['projection.dt.range']).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\d{2},NOW$/);
    expect(JSON.stringify(input.Parameters['storage.location.template'])).toContain('/volt/deliveries/${dt}/');
    expect(Object.values(resources).some((r) => r.Type === 'AWS::Glue::Crawler')).toBe(false);
  });

  it("is in the archive's database, created first", () => {
    expect(table.Properties['DatabaseName']).toEqual({ Ref: expect.stringMatching(/Database/) });
    expect(archive.databaseName).toBe('s_archive');
  });
});

describe('DeliveryArchive props', () => {
  it('reports every problem at once, named', () => {
    const problems = DeliveryArchive.checkProps({
      prefix: '/no',
      retentionDays: 30,
      objectLockDays: 90,
      batchSize: 5,
      batchWindowSeconds: 301,
      objectLockMode: 'STRICT' as never,
      glueDatabaseName: 'Bad-Name',
    }).map(describeProblem);
    expect(problems).toEqual([
      expect.stringMatching(/prefix.*must end with "\/"/),
      expect.stringMatching(/batchSize.*from 10 to 10000/),
      expect.stringMatching(/batchWindowSeconds.*from 1 to 300/),
      expect.stringMatching(/objectLockMode.*GOVERNANCE, COMPLIANCE/),
      expect.stringMatching(/objectLockDays.*longer than retentionDays/),
      expect.stringMatching(/glueDatabaseName/),
    ]);
    expect(() => synth({ batchSize: 5 })).toThrow(InvalidPropsError);
  });

  it('refuses lifecycle and Object Lock settings for a bucket passed in', () => {
    const problems = DeliveryArchive.checkProps({ bucket: {}, retentionDays: 10 }).map(describeProblem);
    expect(problems).toEqual([expect.stringMatching(/retentionDays.*applies only to a bucket the stack creates/)]);
  });
});

describe('archive context keys', () => {
  const read = (context: Record<string, unknown>) => () => readAppConfig((k) => context[k], Object.keys(context));

  it('are on by default, and off with archive=false', () => {
    expect(synthStack({}).stack.pipeline.archive).toBeDefined();
    const off = synthStack({ archive: 'false' });
    expect(off.stack.pipeline.archive).toBeUndefined();
    off.template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(Object.keys(off.template.findOutputs('Archive*'))).toEqual([]);
  });

  it('reserve the name archive for the archive queue, unless it is off', () => {
    expect(read({ subscribers: '[{"name":"archive"}]' })).toThrow(/subscribers\[0\]\.name.*reserved/);
    expect(read({ subscribers: '[{"name":"archive"}]', archive: 'false' })).not.toThrow();
  });

  it('check their values through the archive, under their context names', () => {
    expect(
      read({
        archiveBucket: 'Not_A_Bucket',
        archivePrefix: 'x',
        archiveObjectLockMode: 'NONE',
        archiveObjectLockDays: '3',
      }),
    ).toThrow(/archiveBucket.*S3 bucket name[\s\S]*archivePrefix[\s\S]*archiveObjectLockMode/);
    expect(read({ archive: 'false', archiveRetentionDays: '30' })).toThrow(/archiveRetentionDays.*archive=false/);
  });

  it('import a bucket passed by name or ARN', () => {
    const { template } = synthStack({ archiveBucket: 'arn:aws:s3:::their-archive', archivePrefix: 'volt/' });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(template.findOutputs('ArchiveBucketName')['ArchiveBucketName']?.Value).toBe('their-archive');
    expect(template.findOutputs('ArchivePrefix')['ArchivePrefix']?.Value).toBe('volt/');
  });
});

describe('the archive queue is fed by the consumer, not the ingest', () => {
  type Fn = { Properties: { Environment?: { Variables?: Record<string, unknown> }; Role?: unknown } };

  /** A function of the stack by an environment variable only it has, and every statement of its role's policies. */
  function functionWith(template: Template, variable: string): { env: Record<string, unknown>; statements: string } {
    const found = Object.values(
      template.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: { [variable]: Match.anyValue() } } },
      }),
    ) as Fn[];
    expect(found).toHaveLength(1);
    const fn = found[0]!;
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const policies = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    return {
      env: fn.Properties.Environment?.Variables ?? {},
      statements: JSON.stringify(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)),
    };
  }

  const on = synthStack({ subscribers: '[{"name":"crm"}]' });
  const queueId = on.stack.getLogicalId(on.stack.pipeline.archive!.queue.queue.node.defaultChild as CfnElement);

  it("is no ingest target: TARGET_QUEUES lists the state queue and the subscribers only, and the ingest's role cannot send to it", () => {
    const ingest = functionWith(on.template, 'TARGET_QUEUES');
    const targets = JSON.stringify(ingest.env['TARGET_QUEUES']);
    expect(targets).toContain('\\"name\\":\\"state\\"');
    expect(targets).toContain('\\"name\\":\\"crm\\"');
    expect(targets).not.toContain('\\"name\\":\\"archive\\"');
    expect(targets).not.toContain(queueId);
    expect(ingest.statements).not.toContain(queueId);
  });

  it("gives the consumer the queue's URL and sqs:SendMessage on it, nothing more on it", () => {
    const consumer = functionWith(on.template, 'TABLE_NAME');
    expect(consumer.env['ARCHIVE_QUEUE_URL']).toEqual({ Ref: queueId });
    const statements = JSON.parse(consumer.statements) as { Action: string | string[]; Resource: unknown }[];
    const onQueue = statements.filter((s) => JSON.stringify(s.Resource).includes(queueId));
    expect(onQueue).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
      }),
    ]);
  });

  it('leaves the consumer without the variable or any SQS send with archive=false', () => {
    const off = synthStack({ archive: 'false' });
    const consumer = functionWith(off.template, 'TABLE_NAME');
    expect(consumer.env['ARCHIVE_QUEUE_URL']).toBeUndefined();
    expect(consumer.statements).not.toContain('sqs:SendMessage');
  });
});
