import { App, CfnResource, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DurableQueue, type DurableQueueProps } from '../../../../lib/constructs/durable-queue';
import { ROLE_METADATA_KEY } from '../../../../lib/template-contract';
import { InvalidPropsError } from '../../../../lib/validation';

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };

/** One DurableQueue alone in a stack, with its template and the logical ids of its two queues. */
function synth(props?: DurableQueueProps) {
  const stack = new Stack(new App(), 'S');
  const durable = new DurableQueue(stack, 'Q', props);
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const queueId = id(durable.queue);
  const dlqId = id(durable.deadLetterQueue);
  return { durable, template, queueId, dlqId, queue: resources[queueId]!, dlq: resources[dlqId]! };
}

describe('DurableQueue', () => {
  it('is a queue and its DLQ, both encrypted with SSE-SQS', () => {
    const { template, queue, dlq } = synth();
    template.resourceCountIs('AWS::SQS::Queue', 2);
    expect(queue.Properties['SqsManagedSseEnabled']).toBe(true);
    expect(dlq.Properties['SqsManagedSseEnabled']).toBe(true);
  });

  it('moves a message to the DLQ after 5 receives by default', () => {
    const { queue, dlqId } = synth();
    expect(queue.Properties['RedrivePolicy']).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] },
      maxReceiveCount: 5,
    });
  });

  it('defaults to a 30 s visibility timeout and 4 days of retention; the DLQ keeps 14 days', () => {
    const { queue, dlq } = synth();
    expect(queue.Properties['VisibilityTimeout']).toBe(30);
    expect(queue.Properties['MessageRetentionPeriod']).toBe(4 * 86400);
    expect(dlq.Properties['MessageRetentionPeriod']).toBe(14 * 86400);
    expect(dlq.Properties['RedrivePolicy']).toBeUndefined();
  });

  it('takes the visibility timeout, retention and maxReceiveCount it is given', () => {
    const { durable, queue, dlq } = synth({
      visibilityTimeout: Duration.seconds(180),
      retentionPeriod: Duration.days(7),
      maxReceiveCount: 3,
    });
    expect(queue.Properties['VisibilityTimeout']).toBe(180);
    expect(queue.Properties['MessageRetentionPeriod']).toBe(7 * 86400);
    expect((queue.Properties['RedrivePolicy'] as { maxReceiveCount: number }).maxReceiveCount).toBe(3);
    expect(durable.maxReceiveCount).toBe(3);
    // The DLQ keeps its 14 days whatever the queue's retention.
    expect(dlq.Properties['MessageRetentionPeriod']).toBe(14 * 86400);
  });

  it('denies every request not made over TLS, on the queue and on the DLQ', () => {
    const { template, queueId, dlqId } = synth();
    for (const target of [queueId, dlqId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: target }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('is deleted with the stack, messages included', () => {
    const { template, queueId, dlqId } = synth();
    const all = template.toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(all[queueId]?.DeletionPolicy).toBe('Delete');
    expect(all[dlqId]?.DeletionPolicy).toBe('Delete');
  });

  it('marks its role on the queue and <role>Dlq on the DLQ', () => {
    const { queue, dlq } = synth({ role: 'crm' });
    expect(queue.Metadata?.[ROLE_METADATA_KEY]).toBe('crm');
    expect(dlq.Metadata?.[ROLE_METADATA_KEY]).toBe('crmDlq');
  });

  it('marks no role when it is given none', () => {
    const { queue, dlq } = synth();
    expect(queue.Metadata?.[ROLE_METADATA_KEY]).toBeUndefined();
    expect(dlq.Metadata?.[ROLE_METADATA_KEY]).toBeUndefined();
  });

  it.each([0, 1001, 2.5])(
    'refuses maxReceiveCount %p, naming the range, before creating anything',
    (maxReceiveCount) => {
      const stack = new Stack();
      expect(DurableQueue.checkProps({ maxReceiveCount })).toEqual([
        expect.objectContaining({ owner: 'DurableQueue', key: 'maxReceiveCount' }),
      ]);
      expect(() => new DurableQueue(stack, 'Q', { maxReceiveCount })).toThrow(InvalidPropsError);
      expect(() => new DurableQueue(stack, 'Q2', { maxReceiveCount })).toThrow(/maxReceiveCount .*1 to 1000/);
      expect(stack.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
    },
  );

  it('accepts maxReceiveCount at both ends of its range', () => {
    expect(DurableQueue.checkProps({ maxReceiveCount: 1 })).toEqual([]);
    expect(DurableQueue.checkProps({ maxReceiveCount: 1000 })).toEqual([]);
  });
});
