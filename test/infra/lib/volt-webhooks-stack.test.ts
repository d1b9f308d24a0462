import type { Stack } from 'aws-cdk-lib';
import type { DurableQueue } from '../../../lib/constructs/durable-queue';
import { testKeyPair } from '../../helpers/keys';
import { synthStack } from '../../helpers/synth';

// The stack's outputs are a contract with users' scripts, the CLI and the local runner: the ids
// are spelled out here rather than taken from lib/stack-outputs.ts, so renaming one fails.

const volt = testKeyPair('volt');
const CONTEXT = {
  subscribers: [{ name: 'crm-sync', eventTypes: ['message.received'] }, { name: 'audit' }],
  voltPublicKeys: [volt.formats.sshRsa],
};

type Output = { Value: unknown; Description?: string };

const queueOutputs = (stack: Stack, prefix: string, durable: DurableQueue | undefined) => {
  if (!durable) throw new Error(`no queue for ${prefix}`);
  return {
    [`${prefix}QueueUrl`]: stack.resolve(durable.queue.queueUrl),
    [`${prefix}QueueArn`]: stack.resolve(durable.queue.queueArn),
    [`${prefix}DlqUrl`]: stack.resolve(durable.deadLetterQueue.queueUrl),
    [`${prefix}DlqArn`]: stack.resolve(durable.deadLetterQueue.queueArn),
  };
};

describe('stack outputs', () => {
  const { stack, template } = synthStack({ ...CONTEXT, voltApiTokenSecret: 'volt/api-token' });
  const { pipeline } = stack;
  const outputs = template.findOutputs('*') as Record<string, Output>;
  const values = Object.fromEntries(Object.entries(outputs).map(([id, o]) => [id, o.Value]));

  it('are exactly these ids, each with the value of the resource it names', () => {
    expect(values).toEqual({
      WebhookUrl: stack.resolve(pipeline.ingest.webhookUrl),
      QuarantineQueueUrl: stack.resolve(pipeline.quarantine.queue.queueUrl),
      TableName: stack.resolve(pipeline.messageStore.table.tableName),
      TableArn: stack.resolve(pipeline.messageStore.table.tableArn),
      VoltWebhookId: stack.resolve(pipeline.registration?.webhookId),
      VoltProbeSignature: stack.resolve(pipeline.registration?.probeSignature),
      AlarmTopicArn: stack.resolve(pipeline.monitoring.topic.topicArn),
      DashboardName: stack.resolve(pipeline.monitoring.dashboard.dashboardName),
      DashboardUrl: expect.anything(),
      EventBusName: stack.resolve(pipeline.events.eventBus.eventBusName),
      EventBusArn: stack.resolve(pipeline.events.eventBus.eventBusArn),
      EventArchiveName: stack.resolve(pipeline.events.archive.archiveName),
      EventSchemaRegistryName: stack.resolve(pipeline.events.schemaRegistry.attrRegistryName),
      UnpublishedEventsQueueUrl: stack.resolve(pipeline.events.unpublished.queueUrl),
      ArchiveBucketName: stack.resolve(pipeline.archive?.bucket.bucketName),
      ArchivePrefix: 'deliveries/',
      ArchiveTable: `${pipeline.archive?.databaseName}.deliveries`,
      ...queueOutputs(stack, 'State', pipeline.stateQueue),
      ...queueOutputs(stack, 'SubscriberCrmSync', pipeline.subscriberQueues.get('crm-sync')),
      // Only a subscriber that takes some event types lists them (replay sends it only those).
      SubscriberCrmSyncEventTypes: 'message.received',
      ...queueOutputs(stack, 'SubscriberAudit', pipeline.subscriberQueues.get('audit')),
    });
  });

  it('link the dashboard in the console of the stack region', () => {
    const url = JSON.stringify(values['DashboardUrl']);
    expect(url).toContain('.console.aws.amazon.com/cloudwatch/home?region=');
    expect(url).toContain('#dashboards:name=');
    expect(url).toContain(JSON.stringify(stack.resolve(pipeline.monitoring.dashboard.dashboardName)));
    expect(url).toContain('"Ref":"AWS::Region"');
  });

  it('each say what they hold', () => {
    for (const [id, output] of Object.entries(outputs))
      expect({ id, description: output.Description }).toEqual({ id, description: expect.stringMatching(/\w/) });
    expect(outputs['SubscriberCrmSyncDlqUrl']?.Description).toContain('subscriber "crm-sync"');
  });

  it('leave out VoltWebhookId when the stack registers nothing', () => {
    const ids = Object.keys(synthStack(CONTEXT).template.findOutputs('*'));
    expect(ids).not.toContain('VoltWebhookId');
    expect(ids).not.toContain('VoltProbeSignature');
    expect(ids).toContain('WebhookUrl');
  });
});
