import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { DurableQueue } from './constructs/durable-queue';
import { VoltWebhookPipeline, type VoltWebhookPipelineProps } from './constructs/volt-webhook-pipeline';
import {
  eventRuleOutputPrefix,
  queueOutputIds,
  STACK_OUTPUTS,
  STATE_QUEUE_OUTPUT_PREFIX,
  subscriberEventTypesOutputId,
  subscriberOutputPrefix,
} from './stack-outputs';

export interface VoltWebhooksStackProps extends StackProps {
  /** The pipeline's configuration. */
  readonly pipeline: VoltWebhookPipelineProps;
}

/** The deployable stack: the pipeline plus the outputs that users and the CLI read. */
export class VoltWebhooksStack extends Stack {
  /** The pipeline the stack's outputs describe. */
  public readonly pipeline: VoltWebhookPipeline;

  constructor(scope: Construct, id: string, props: VoltWebhooksStackProps) {
    super(scope, id, props);
    this.pipeline = new VoltWebhookPipeline(this, 'Pipeline', props.pipeline);

    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      value: this.pipeline.ingest.webhookUrl,
      description: 'Register this URL with Volt',
    });
    this.queueOutputs(
      STATE_QUEUE_OUTPUT_PREFIX,
      this.pipeline.stateQueue,
      'state queue (consumed by the stack itself)',
    );
    new CfnOutput(this, STACK_OUTPUTS.quarantineQueueUrl, {
      value: this.pipeline.quarantine.queue.queueUrl,
      description:
        'URL of the quarantine of rejected requests (kept 1 day; for `volt-webhooks calibrate --from-quarantine`)',
    });
    new CfnOutput(this, STACK_OUTPUTS.tableName, {
      value: this.pipeline.messageStore.table.tableName,
      description: "DynamoDB table holding each message's state",
    });
    new CfnOutput(this, STACK_OUTPUTS.tableArn, {
      value: this.pipeline.messageStore.table.tableArn,
      description: 'ARN of the messages table',
    });
    if (this.pipeline.registration) {
      new CfnOutput(this, STACK_OUTPUTS.voltWebhookId, {
        value: this.pipeline.registration.webhookId,
        description: "Volt's id of the webhook registration",
      });
      new CfnOutput(this, STACK_OUTPUTS.voltProbeSignature, {
        value: this.pipeline.registration.probeSignature,
        description: "What the signature of Volt's registration test request was, checked with the configured scheme",
      });
    }
    for (const [name, queue] of this.pipeline.subscriberQueues) {
      this.queueOutputs(subscriberOutputPrefix(name), queue, `subscriber "${name}"`);
      const eventTypes = props.pipeline.subscribers?.find((s) => s.name === name)?.eventTypes;
      if (eventTypes !== undefined)
        new CfnOutput(this, subscriberEventTypesOutputId(name), {
          value: eventTypes.join(','),
          description: `Event types subscriber "${name}" receives (\`volt-webhooks replay --to ${name}\` sends only these)`,
        });
    }
    this.eventOutputs();
    this.archiveOutputs();
    const { monitoring } = this.pipeline;
    new CfnOutput(this, STACK_OUTPUTS.alarmTopicArn, {
      value: monitoring.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe to it (or deploy with -c alarmEmail=...)',
    });
    new CfnOutput(this, STACK_OUTPUTS.dashboardName, {
      value: monitoring.dashboard.dashboardName,
      description: "CloudWatch dashboard with the pipeline's health",
    });
    new CfnOutput(this, STACK_OUTPUTS.dashboardUrl, {
      value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${monitoring.dashboard.dashboardName}`,
      description: "Console link to the pipeline's dashboard",
    });
  }

  private archiveOutputs(): void {
    const { archive } = this.pipeline;
    if (!archive) return;
    new CfnOutput(this, STACK_OUTPUTS.archiveBucketName, {
      value: archive.bucket.bucketName,
      description: 'S3 bucket holding every verified delivery (docs/archive.md; `volt-webhooks replay` reads it)',
    });
    new CfnOutput(this, STACK_OUTPUTS.archivePrefix, {
      value: archive.prefix,
      description: 'Key prefix of the archive objects in that bucket (<prefix>yyyy/mm/dd/hh/...ndjson.gz)',
    });
    new CfnOutput(this, STACK_OUTPUTS.archiveTable, {
      value: `${archive.databaseName}.${archive.tableName}`,
      description: 'Glue table (database.table) to query the archive with Athena',
    });
  }

  private eventOutputs(): void {
    const { events } = this.pipeline;
    new CfnOutput(this, STACK_OUTPUTS.eventBusName, {
      value: events.eventBus.eventBusName,
      description: 'Event bus with the message status events',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventBusArn, {
      value: events.eventBus.eventBusArn,
      description: 'ARN of the event bus with the message status events',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventArchiveName, {
      value: events.archive.archiveName,
      description: 'Archive of the status events, for EventBridge replay',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventSchemaRegistryName, {
      value: events.schemaRegistry.attrRegistryName,
      description: "Schema registry holding the status events' schema (MessageStatusEvent)",
    });
    new CfnOutput(this, STACK_OUTPUTS.unpublishedEventsQueueUrl, {
      value: events.unpublished.queueUrl,
      description: 'Reports of stream batches whose status events were never put (alarm EventsUnpublished)',
    });
    for (const [name, queue] of events.ruleQueues) {
      this.queueOutputs(eventRuleOutputPrefix(name), queue, `event rule "${name}"`);
    }
  }

  private queueOutputs(prefix: string, queue: DurableQueue, what: string): void {
    const ids = queueOutputIds(prefix);
    new CfnOutput(this, ids.queueUrl, { value: queue.queue.queueUrl, description: `URL of the ${what}` });
    new CfnOutput(this, ids.queueArn, { value: queue.queue.queueArn, description: `ARN of the ${what}` });
    new CfnOutput(this, ids.dlqUrl, {
      value: queue.deadLetterQueue.queueUrl,
      description: `URL of the dead-letter queue of the ${what}`,
    });
    new CfnOutput(this, ids.dlqArn, {
      value: queue.deadLetterQueue.queueArn,
      description: `ARN of the dead-letter queue of the ${what}`,
    });
  }
}
