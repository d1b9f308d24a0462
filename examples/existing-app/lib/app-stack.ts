import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { VoltWebhookPipeline, type MessageStatusEventDetail } from 'volt-sms-webhooks';

/**
 * A stack of your own app with the Volt webhook pipeline added to it, and one subscriber: a
 * function of yours that reads every inbound SMS from its own queue. A second function of yours
 * gets the status events of messages blocked as spam (error 702), from the pipeline's bus.
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

    // Any EventBridge target attaches the same way: a rule on the pipeline's bus, matching its source.
    const failureAlert = new lambda.Function(this, 'FailureAlert', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda', 'failure-alert')),
      timeout: Duration.seconds(10),
    });
    // `satisfies` checks the pattern's detail fields against the package's event type at compile time.
    const spam = { errorCode: ['702'] } satisfies Partial<Record<keyof MessageStatusEventDetail, unknown>>;
    new events.Rule(this, 'BlockedAsSpam', {
      eventBus: volt.events.eventBus,
      eventPattern: { source: [volt.events.source], detailType: ['Message Failed'], detail: spam },
      targets: [new targets.LambdaFunction(failureAlert, { retryAttempts: 10 })],
    });

    new CfnOutput(this, 'VoltWebhookUrl', {
      value: volt.ingest.webhookUrl,
      description: 'Register this URL with Volt',
    });
    new CfnOutput(this, 'VoltMessagesTable', { value: volt.messageStore.table.tableName });
  }
}
