import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { MessageEvents, type MessageEventsProps } from '../../../../lib/constructs/message-events';
import { ContextError, readAppConfig } from '../../../../lib/config';
import { STATUS_EVENT_SCHEMA } from '../../../../lambda/common/status-events';
import { synthStack } from '../../../helpers/synth';

type Resource = { Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const RULES = [
  { name: 'failures', pattern: { detail: { status: ['failed'] } } },
  { name: 'error-702', pattern: { 'detail-type': ['Message Failed'], detail: { errorCode: ['702'] } } },
];
const { template } = synthStack({ eventRules: JSON.stringify(RULES), eventArchiveRetentionDays: '90' });

function resources(type: string, props?: Record<string, unknown>): [string, Resource][] {
  return Object.entries(template.findResources(type, props ? { Properties: props } : undefined)) as [
    string,
    Resource,
  ][];
}

function only(type: string, props?: Record<string, unknown>): [string, Resource] {
  const found = resources(type, props);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const [busId] = only('AWS::Events::EventBus');
const [publisherId, publisher] = only('AWS::Lambda::Function', {
  Environment: { Variables: { EVENT_BUS: Match.anyValue() } },
});
const [tableId] = only('AWS::DynamoDB::Table');

/** Every statement of the policies attached to the role of `functionResource`. */
function statementsOf(functionResource: Resource): Statement[] {
  const role = (functionResource.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties['Roles']).includes(`"${role}"`))
    .flatMap(([, p]) => (p.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

describe('status events: the bus', () => {
  it('is a custom bus of the stack, output by name and ARN', () => {
    template.hasOutput('EventBusName', { Value: { Ref: busId } });
    template.hasOutput('EventBusArn', { Value: { 'Fn::GetAtt': [busId, 'Arn'] } });
  });

  it('has an archive of this source with the configured retention', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] },
      EventPattern: { source: ['volt-sms-webhooks'] },
      RetentionDays: 90,
    });
  });

  it('keeps 30 days by default, and 0 keeps forever', () => {
    expect(resources('AWS::Events::Archive')).toHaveLength(1);
    const byDefault = synthStack({}).template;
    byDefault.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
    const forever = synthStack({ eventArchiveRetentionDays: '0' }).template;
    // EventBridge reads 0 as "keep forever".
    forever.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 0 });
  });

  it('is the one passed in when configured: no bus is created, the archive and rules go on it', () => {
    const arn = 'arn:aws:events:eu-west-1:111122223333:event-bus/shared';
    const t = synthStack({ eventBus: arn, eventRules: JSON.stringify(RULES.slice(0, 1)) }).template;
    t.resourceCountIs('AWS::Events::EventBus', 0);
    t.hasResourceProperties('AWS::Events::Archive', { SourceArn: arn });
    t.hasResourceProperties('AWS::Events::Rule', { EventBusName: 'shared' });
    t.hasOutput('EventBusArn', { Value: arn });
    const byName = synthStack({ eventBus: 'shared' }).template;
    byName.resourceCountIs('AWS::Events::EventBus', 0);
    byName.hasOutput('EventBusName', { Value: 'shared' });
  });
});

describe('status events: the publisher', () => {
  it('reads the table stream of new and old images from the start, reporting partial failures, retrying until records expire', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      FunctionName: { Ref: publisherId },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: -1,
      ParallelizationFactor: 1,
      BatchSize: 100,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('Unpublished'), 'Arn'] } },
      },
    });
  });

  it('is told the bus and the source, and runs the publisher bundle', () => {
    expect(publisher.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: { Variables: { EVENT_BUS: { 'Fn::GetAtt': [busId, 'Arn'] }, EVENT_SOURCE: 'volt-sms-webhooks' } },
    });
    const custom = synthStack({ eventSource: 'acme.sms' }).template;
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { EVENT_SOURCE: 'acme.sms' } },
    });
    custom.hasResourceProperties('AWS::Events::Archive', { EventPattern: { source: ['acme.sms'] } });
  });

  it('may put events on this bus only, read this stream only, and report to its failure queue only', () => {
    const statements = statementsOf(publisher).filter((s) => ![s.Action].flat().every((a) => a.startsWith('xray:')));
    expect(statements).toEqual(
      [
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: { 'Fn::GetAtt': [busId, 'Arn'] } },
        {
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          Resource: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
        },
        {
          Effect: 'Allow',
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Unpublished') as unknown as string, 'Arn'] },
        },
      ].map((s) => expect.objectContaining({ ...s, Resource: expect.anything() })),
    );
    expect(statements.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [busId, 'Arn'] },
      { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/Unpublished/), 'Arn'] },
    ]);
  });

  it('has alarms on events never put and on falling behind, notifying the alarm topic', () => {
    const topic = resources('AWS::SNS::Topic')[0]![0];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfMessagesSent',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('Unpublished'), 'QueueName'] } },
      ],
      Threshold: 0,
      AlarmActions: [{ Ref: topic }],
      OKActions: [{ Ref: topic }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IteratorAge',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: publisherId } }],
      Threshold: 300_000,
      AlarmActions: [{ Ref: topic }],
    });
  });
});

describe('status events: rules from configuration', () => {
  it('creates one rule per entry, on the bus, with its pattern and this source', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules).toHaveLength(2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { source: ['volt-sms-webhooks'], detail: { status: ['failed'] } },
      State: 'ENABLED',
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['volt-sms-webhooks'],
        'detail-type': ['Message Failed'],
        detail: { errorCode: ['702'] },
      },
    });
  });

  it('sends each rule to a queue of its own with a DLQ, which also takes what EventBridge could not deliver', () => {
    for (const [, rule] of resources('AWS::Events::Rule')) {
      const [target] = rule.Properties['Targets'] as {
        Arn: { 'Fn::GetAtt': [string, string] };
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [string, string] } };
      }[];
      const queue = template.toJSON().Resources[target!.Arn['Fn::GetAtt'][0]] as Resource;
      const redrive = queue.Properties['RedrivePolicy'] as { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] } };
      expect(redrive.deadLetterTargetArn['Fn::GetAtt'][0]).toBe(target!.DeadLetterConfig.Arn['Fn::GetAtt'][0]);
      expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true });
    }
    for (const name of ['Failures', 'Error702'])
      for (const output of ['QueueUrl', 'QueueArn', 'DlqUrl', 'DlqArn'])
        expect(template.findOutputs(`EventRule${name}${output}`)).not.toEqual({});
  });

  it('lets only its own rule send to each queue and DLQ, over TLS', () => {
    for (const [ruleId, rule] of resources('AWS::Events::Rule')) {
      const [target] = rule.Properties['Targets'] as { Arn: { 'Fn::GetAtt': [string, string] } }[];
      const queueId = target!.Arn['Fn::GetAtt'][0];
      const [, policy] = only('AWS::SQS::QueuePolicy', { Queues: [{ Ref: queueId }] });
      const statements = (policy.Properties['PolicyDocument'] as { Statement: (Statement & { Principal: unknown })[] })
        .Statement;
      const allow = statements.filter((s) => s.Effect === 'Allow');
      expect(allow).toHaveLength(1);
      expect(allow[0]).toMatchObject({
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      });
      expect(
        statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('SecureTransport')),
      ).toBe(true);
    }
  });

  it('watches each rule queue’s DLQ with an alarm named for the rule', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('"failures" dead-letter queue'),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('"error-702" dead-letter queue'),
    });
  });
});

describe('status events: the schema', () => {
  it('is in a schema registry of the stack, as JSON Schema draft 4, the same as the exported one', () => {
    const [registryId] = only('AWS::EventSchemas::Registry');
    template.hasResourceProperties('AWS::EventSchemas::Schema', {
      RegistryName: { 'Fn::GetAtt': [registryId, 'RegistryName'] },
      Type: 'JSONSchemaDraft4',
      Content: JSON.stringify(STATUS_EVENT_SCHEMA),
    });
  });
});

describe('status events: configuration is checked at synth', () => {
  const problemsOf = (context: Record<string, unknown>): string[] => {
    try {
      readAppConfig((key) => context[key], Object.keys(context));
    } catch (err: unknown) {
      if (err instanceof ContextError) return [...err.problems];
      throw err;
    }
    return [];
  };
  const rules = (list: unknown[]) => ({ eventRules: JSON.stringify(list) });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['rules that are not an array', { eventRules: '{"name":"x"}' }, /context "eventRules" must be a JSON array/],
    ['a rule without a name', rules([{ pattern: {} }]), /eventRules\[0\] needs a string "name"/],
    [
      'a rule with an unknown field',
      rules([{ name: 'a', pattern: { detail: { status: ['x'] } }, patern: 1 }]),
      /eventRules\[0\]\.patern: unknown key; did you mean "pattern"\?/,
    ],
    [
      'a pattern that is not an object',
      rules([{ name: 'a', pattern: '["failed"]' }]),
      /eventRules\[0\]\.pattern must be an EventBridge event pattern/,
    ],
    [
      'a pattern value not in a list',
      rules([{ name: 'a', pattern: { detail: { status: 'failed' } } }]),
      /MessageEvents: eventRules\[0\]\.pattern detail\.status: values must be in a list/,
    ],
    [
      'an unknown filter',
      rules([{ name: 'a', pattern: { detail: { status: [{ prefx: 'f' }] } } }]),
      /eventRules\[0\]\.pattern detail\.status\[0\]: unknown filter "prefx"/,
    ],
    [
      'a misspelt detail field',
      rules([{ name: 'a', pattern: { detail: { staus: ['failed'] } } }]),
      /eventRules\[0\]\.pattern\.detail\.staus is not a field of the status event; did you mean "status"\?/,
    ],
    [
      'a misspelt top-level field',
      rules([{ name: 'a', pattern: { detial: { status: ['failed'] } } }]),
      /did you mean "detail"\?/,
    ],
    [
      'a detail-type the events never have',
      rules([{ name: 'a', pattern: { 'detail-type': ['Message Failure'] } }]),
      /"Message Failure" is not a detail-type of the status events; did you mean "Message Failed"\?/,
    ],
    [
      'a pattern that sets the source',
      rules([{ name: 'a', pattern: { source: ['other'] } }]),
      /pattern\.source may not be set/,
    ],
    [
      'a bad rule name',
      rules([{ name: 'a b', pattern: { detail: { status: ['x'] } } }]),
      /eventRules\[0\]\.name "a b" must be 1-40 letters/,
    ],
    [
      'two rules of one name',
      rules([
        { name: 'fail', pattern: { detail: { status: ['x'] } } },
        { name: 'Fail', pattern: { detail: { status: ['y'] } } },
      ]),
      /eventRules\[1\]\.name "Fail" is used twice/,
    ],
    [
      'a rule named as a subscriber',
      { ...rules([{ name: 'crm', pattern: { detail: { status: ['x'] } } }]), subscribers: '[{"name":"crm"}]' },
      /eventRules\[0\]\.name "crm" is taken by the subscriber "crm"/,
    ],
    [
      'a rule named state',
      rules([{ name: 'state', pattern: { detail: { status: ['x'] } } }]),
      /"state" is taken by the pipeline's own queue/,
    ],
    [
      'an event source reserved for AWS',
      { eventSource: 'aws.sms' },
      /MessageEvents: eventSource may not start with "aws\."/,
    ],
    [
      'an event bus that is neither a name nor an ARN',
      { eventBus: 'arn:aws:sqs:us-east-1:111122223333:q' },
      /eventBus must be an event bus name/,
    ],
    [
      'a negative retention',
      { eventArchiveRetentionDays: '-1' },
      /context "eventArchiveRetentionDays" must be a whole number, 0 or more/,
    ],
  ])('refuses %s', (_what, context, expected) => {
    const problems = problemsOf(context);
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });

  it('accepts $or, numeric, prefix and exists in a pattern, and checks names inside $or', () => {
    expect(
      problemsOf(
        rules([
          {
            name: 'ours',
            pattern: {
              detail: {
                $or: [{ fromNumber: [{ prefix: '+1555' }] }, { toNumber: [{ prefix: '+1555' }] }],
                errorCode: [{ exists: true }],
              },
            },
          },
        ]),
      ),
    ).toEqual([]);
    expect(
      problemsOf(rules([{ name: 'x', pattern: { detail: { $or: [{ fromNumbr: ['a'] }, { toNumber: ['b'] }] } } }])),
    ).toEqual([
      expect.stringMatching(
        /detail\.\$or\[0\]\.fromNumbr is not a field of the status event; did you mean "fromNumber"\?/,
      ),
    ]);
  });

  it('refuses a table without a stream', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    const table = new dynamodb.Table(stack, 'T', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    const props: MessageEventsProps = { table };
    expect(() => new MessageEvents(stack, 'Events', props)).toThrow(/MessageEvents: table has no stream/);
  });

  it('lets a CDK user attach any target to the bus', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    const events = new MessageEvents(stack, 'Events', { table });
    expect(events.eventBus.eventBusArn).toBeDefined();
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 0);
  });
});
