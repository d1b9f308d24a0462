import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { RejectedRequestQuarantine } from '../../../../lib/constructs/quarantine';
import { synthStack } from '../../../helpers/synth';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
const { template, stack } = synthStack({ subscribers: [{ name: 'crm' }], voltPublicKeys: [volt.formats.sshRsa] });
const quarantineId = stack.getLogicalId(stack.pipeline.quarantine.queue.node.defaultChild as never);
const ingestFunction = () =>
  Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { TARGET_QUEUES: Match.anyValue() } } },
    }),
  )[0];

describe('quarantine of rejected requests', () => {
  it('is an encrypted queue keeping messages one day, with no DLQ', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 86400,
      SqsManagedSseEnabled: true,
      RedrivePolicy: Match.absent(),
    });
  });

  it('has no consumer', () => {
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping');
    for (const m of Object.values(mappings)) expect(JSON.stringify(m)).not.toContain(quarantineId);
  });

  it('is given to the ingest function by URL, outside TARGET_QUEUES', () => {
    const vars = (ingestFunction() as { Properties: { Environment: { Variables: Record<string, unknown> } } })
      .Properties.Environment.Variables;
    expect(vars['QUARANTINE_QUEUE_URL']).toEqual({ Ref: quarantineId });
    expect(JSON.stringify(vars['TARGET_QUEUES'])).not.toContain(quarantineId);
  });

  it('grants the ingest role sqs:SendMessage on it and nothing else', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const onQuarantine = statements.filter((s) => JSON.stringify(s.Resource).includes(`"${quarantineId}"`));
    expect(onQuarantine).toHaveLength(1);
    expect(onQuarantine[0]?.Action).toBe('sqs:SendMessage');
  });

  it('is an output for the CLI', () => {
    template.hasOutput('QuarantineQueueUrl', { Value: { Ref: quarantineId } });
  });

  it('refuses a retention outside what SQS allows', () => {
    expect(() => new RejectedRequestQuarantine(new Stack(), 'Q', { retentionPeriod: Duration.days(15) })).toThrow(
      /from 1 minute to 14 days/,
    );
  });
});
