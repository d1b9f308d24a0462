import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { messagesTable, type LocalStack } from '../../local/stack';

/** A DynamoDB item as the SDK returns it. */
export type Item = Record<string, AttributeValue>;

/** SDK clients on a started local stack's SQS and DynamoDB stand-ins, and its resources' local names. */
export interface LocalAwsClients {
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  /** The URL of the queue with this key: its role in the template (`state`, `stateDlq`, a subscriber's name...); throws if there is none. */
  queueUrl(key: string): string;
  /** The name of the messages table (marked with its role in the template); throws if it declares none. */
  tableName(): string;
  /** Destroys the clients. The stack is the caller's to stop: it may have to stop before something else. */
  close(): void;
}

export function localAwsClients(stack: LocalStack): LocalAwsClients {
  // The stand-ins accept any credentials; explicit ones keep the SDK from looking for real ones.
  const settings = { region: stack.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sqs = new SQSClient({ ...settings, endpoint: stack.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...settings, endpoint: stack.dynamodbEndpoint });
  return {
    sqs,
    dynamodb,
    queueUrl: (key) => {
      const url = stack.queues.find((q) => q.key === key)?.url;
      if (!url) throw new Error(`the stack has no queue ${key}: ${stack.queues.map((q) => q.key).join(', ')}`);
      return url;
    },
    tableName: () => {
      const name = messagesTable(stack)?.name;
      if (!name) throw new Error('the template declares no table');
      return name;
    },
    close: () => {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

/** The string (`S`) value of each named attribute of an item, `undefined` where it has none. */
export function stringAttributes<Name extends string>(
  item: Item | undefined,
  names: readonly Name[],
): Record<Name, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, item?.[name]?.S])) as Record<Name, string | undefined>;
}
