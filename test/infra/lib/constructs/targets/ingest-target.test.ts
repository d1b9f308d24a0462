import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { SqsIngestTarget } from '../../../../../lib/constructs/targets/sqs-target';
import type { IIngestTarget, IngestTargetBinding } from '../../../../../lib/constructs/targets/ingest-target';
import { WebhookIngest } from '../../../../../lib/constructs/webhook-ingest';
import { InvalidPropsError } from '../../../../../lib/validation';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** A second kind of target, written as one would add an archive or an event bus: one class, one bind. */
class TopicTarget implements IIngestTarget {
  constructor(
    readonly name: string,
    private readonly topic: sns.ITopic,
  ) {}

  bind(binding: IngestTargetBinding): void {
    binding.addEntry('TARGET_TOPICS', { name: this.name, topicArn: this.topic.topicArn } as never);
    binding.allow(['sns:Publish'], this.topic.topicArn);
  }
}

function setUp() {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const state = new sqs.Queue(stack, 'State');
  const topic = new sns.Topic(stack, 'Topic');
  const ingest = new WebhookIngest(stack, 'Ingest', {
    targets: [new SqsIngestTarget({ name: 'state', queue: state }), new TopicTarget('bus', topic)],
  });
  return { stack, state, topic, ingest };
}

const idOf = (stack: Stack, c: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(c.node.defaultChild as CfnElement);

function environment(template: Template): Record<string, unknown> {
  const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  }[];
  expect(fns).toHaveLength(1);
  return fns[0]!.Properties.Environment.Variables;
}

function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

describe('delivery targets of the ingest', () => {
  it('give each kind its own variable and its own grant, from one bind per target', () => {
    const { stack, state, topic, ingest } = setUp();
    const template = Template.fromStack(stack);
    const env = environment(template);
    expect(JSON.stringify(env['TARGET_QUEUES'])).toContain(`"Ref":"${idOf(stack, state)}"`);
    expect(JSON.stringify(env['TARGET_TOPICS'])).toContain(`"Ref":"${idOf(stack, topic)}"`);
    expect(JSON.stringify(env['TARGET_QUEUES'])).not.toContain('bus');
    const grants = statements(template).filter((s) => !String(s.Action).startsWith('xray:'));
    expect(grants).toEqual([
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [idOf(stack, state), 'Arn'] } },
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: idOf(stack, topic) } },
    ]);
    expect(ingest.function).toBeDefined();
  });

  it('list and grant a target added after construction, in the same statement as its kind', () => {
    const { stack, state, ingest } = setUp();
    const late = new sqs.Queue(stack, 'Late');
    ingest.addTarget({ name: 'late', queue: late, eventTypes: ['message.received'] });
    const template = Template.fromStack(stack);
    const queues = JSON.stringify(environment(template)['TARGET_QUEUES']);
    expect(queues).toContain('\\"name\\":\\"late\\"');
    expect(queues).toContain(`"Ref":"${idOf(stack, late)}"`);
    expect(queues.indexOf('state')).toBeLessThan(queues.indexOf('late'));
    const sends = statements(template).filter((s) => s.Action === 'sqs:SendMessage');
    expect(sends).toHaveLength(1);
    expect(sends[0]!.Resource).toEqual([
      { 'Fn::GetAtt': [idOf(stack, state), 'Arn'] },
      { 'Fn::GetAtt': [idOf(stack, late), 'Arn'] },
    ]);
  });

  it.each<[string, (stack: Stack) => IIngestTarget, RegExp]>([
    [
      'a name already taken once PascalCased',
      (stack) => new SqsIngestTarget({ name: 'State', queue: new sqs.Queue(stack, 'Q') }),
      /WebhookIngest: targets\[2\]\.name must be unique .*got "State" after "state"/,
    ],
    [
      'an event type Volt does not send',
      (stack) =>
        new SqsIngestTarget({ name: 'crm', queue: new sqs.Queue(stack, 'Q'), eventTypes: ['message.recieved'] }),
      /targets\[2\]\.eventTypes has "message.recieved".*did you mean "message.received"/,
    ],
  ])('refuse %s', (_label, target, message) => {
    const { stack, ingest } = setUp();
    const refused = target(stack);
    expect(() => ingest.addTarget(refused)).toThrow(InvalidPropsError);
    expect(() => ingest.addTarget(refused)).toThrow(message);
    expect(JSON.stringify(environment(Template.fromStack(stack))['TARGET_QUEUES'])).not.toContain(
      `\\"name\\":\\"${refused.name}\\"`,
    );
  });

  it('accept an unknown event type with the opt-in', () => {
    const { stack, ingest } = setUp();
    ingest.addTarget(
      new SqsIngestTarget({
        name: 'new-events',
        queue: new sqs.Queue(stack, 'Q'),
        eventTypes: ['message.new'],
        allowUnknownEventTypes: true,
      }),
    );
    expect(JSON.stringify(environment(Template.fromStack(stack))['TARGET_QUEUES'])).toContain(
      '\\"eventTypes\\":[\\"message.new\\"]',
    );
  });
});
