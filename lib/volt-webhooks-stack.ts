import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DurableQueue } from './constructs/durable-queue';
import { VoltWebhookPipeline, type VoltWebhookPipelineProps } from './constructs/volt-webhook-pipeline';

export interface VoltWebhooksStackProps extends StackProps {
  /** The pipeline's configuration. */
  readonly pipeline: VoltWebhookPipelineProps;
}

/** PascalCase of a subscriber name, for output ids (`crm-sync` -> `CrmSync`). */
export function outputIdFor(name: string): string {
  return name
    .split(/[-_]/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The deployable stack: the pipeline plus the outputs that users and the CLI read. */
export class VoltWebhooksStack extends Stack {
  public readonly pipeline: VoltWebhookPipeline;

  constructor(scope: Construct, id: string, props: VoltWebhooksStackProps) {
    super(scope, id, props);
    this.pipeline = new VoltWebhookPipeline(this, 'Pipeline', props.pipeline);

    new CfnOutput(this, 'WebhookUrl', { value: this.pipeline.ingest.webhookUrl, description: 'Register this URL with Volt' });
    this.queueOutputs('State', this.pipeline.stateQueue, 'state queue (consumed by the stack itself)');
    new CfnOutput(this, 'QuarantineQueueUrl', {
      value: this.pipeline.quarantine.queue.queueUrl,
      description: 'URL of the quarantine of rejected requests (kept 1 day; for `volt-webhooks calibrate --from-quarantine`)',
    });
    new CfnOutput(this, 'TableName', { value: this.pipeline.messageStore.table.tableName, description: 'DynamoDB table holding each message\'s state' });
    new CfnOutput(this, 'TableArn', { value: this.pipeline.messageStore.table.tableArn, description: 'ARN of the messages table' });
    if (this.pipeline.registration) {
      new CfnOutput(this, 'VoltWebhookId', { value: this.pipeline.registration.webhookId, description: "Volt's id of the webhook registration" });
    }
    for (const [name, queue] of this.pipeline.subscriberQueues) {
      this.queueOutputs(`Subscriber${outputIdFor(name)}`, queue, `subscriber "${name}"`);
    }
    const { monitoring } = this.pipeline;
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn, description: 'SNS topic every alarm notifies; subscribe to it (or deploy with -c alarmEmail=...)' });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName, description: "CloudWatch dashboard with the pipeline's health" });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${monitoring.dashboard.dashboardName}`,
      description: "Console link to the pipeline's dashboard",
    });
  }

  private queueOutputs(prefix: string, queue: DurableQueue, what: string): void {
    new CfnOutput(this, `${prefix}QueueUrl`, { value: queue.queue.queueUrl, description: `URL of the ${what}` });
    new CfnOutput(this, `${prefix}QueueArn`, { value: queue.queue.queueArn, description: `ARN of the ${what}` });
    new CfnOutput(this, `${prefix}DlqUrl`, { value: queue.deadLetterQueue.queueUrl, description: `URL of the dead-letter queue of the ${what}` });
    new CfnOutput(this, `${prefix}DlqArn`, { value: queue.deadLetterQueue.queueArn, description: `ARN of the dead-letter queue of the ${what}` });
  }
}
