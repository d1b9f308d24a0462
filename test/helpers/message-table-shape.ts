import type { CreateTableCommandInput, GlobalSecondaryIndex } from '@aws-sdk/client-dynamodb';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { MessageStore } from '../../lib/constructs/message-store';

/**
 * The messages table as the MessageStore construct synthesizes it, as a CreateTable input (keys,
 * attribute types, billing mode, indexes and their projections): what `test/fixtures/message-table.json`
 * must hold. Kept apart from `dynalite.ts` so that the tests that only need a table load no CDK.
 */
export function synthesizedMessageTableDefinition(): Omit<CreateTableCommandInput, 'TableName'> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'TableShape');
  new MessageStore(stack, 'Store', {
    stateQueue: new sqs.Queue(stack, 'Queue', { visibilityTimeout: Duration.seconds(180) }),
  });
  const tables = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::Table')) as {
    Properties: Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'BillingMode'> & {
      GlobalSecondaryIndexes?: GlobalSecondaryIndex[];
    };
  }[];
  if (tables.length !== 1) throw new Error(`expected one table in MessageStore, found ${tables.length}`);
  const props = tables[0]!.Properties;
  return {
    AttributeDefinitions: props.AttributeDefinitions,
    KeySchema: props.KeySchema,
    BillingMode: props.BillingMode,
    GlobalSecondaryIndexes: props.GlobalSecondaryIndexes?.map((g) => ({
      IndexName: g.IndexName,
      KeySchema: g.KeySchema,
      Projection: g.Projection,
    })),
  };
}
