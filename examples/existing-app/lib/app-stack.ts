import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { VoltWebhookPipeline } from 'volt-sms-webhooks';

/**
 * A stack of your own app with the Volt webhook pipeline added to it, and one subscriber: a
 * function of yours that reads every inbound SMS from its own queue.
 */
export class AppStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const volt = new VoltWebhookPipeline(this, 'Volt', {
      subscribers: [{ name: 'crm', eventTypes: ['message.received'] }],
      // The Secrets Manager secret holding your Volt API token (`cdk deploy -c
      // voltApiTokenSecret=volt/api-token`) registers the webhook with Volt on deploy; without
      // it, register the VoltWebhookUrl output with Volt yourself.
      voltApiTokenSecret: this.node.tryGetContext('voltApiTokenSecret') as string | undefined,
    });

    const crmSync = new lambda.Function(this, 'CrmSync', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda', 'crm-sync')),
      timeout: Duration.seconds(20),
    });
    // The queue's visibility timeout (30 s) covers this function's timeout; failed records go
    // back to the queue and, after 5 receives, to its dead-letter queue.
    const crmQueue = volt.subscriberQueues.get('crm')!.queue;
    crmSync.addEventSource(new SqsEventSource(crmQueue, { batchSize: 10, reportBatchItemFailures: true }));

    new CfnOutput(this, 'VoltWebhookUrl', {
      value: volt.ingest.webhookUrl,
      description: 'Register this URL with Volt',
    });
    new CfnOutput(this, 'VoltMessagesTable', { value: volt.messageStore.table.tableName });
  }
}
