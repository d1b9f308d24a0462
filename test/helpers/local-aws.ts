import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
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
  /** A message's item in the messages table, read consistently; `undefined` while there is none. */
  getItem(messageId: string): Promise<Item | undefined>;
  /** Messages on a queue, visible or in flight. */
  queueDepth(queueUrl: string): Promise<number>;
  /** Destroys the clients. The stack is the caller's to stop: it may have to stop before something else. */
  close(): void;
}

export function localAwsClients(stack: LocalStack): LocalAwsClients {
  // The stand-ins accept any credentials; explicit ones keep the SDK from looking for real ones.
  const settings = { region: stack.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const sqs = new SQSClient({ ...settings, endpoint: stack.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...settings, endpoint: stack.dynamodbEndpoint });
  const tableName = () => {
    const name = messagesTable(stack)?.name;
    if (!name) throw new Error('the template declares no table');
    return name;
  };
  return {
    sqs,
    dynamodb,
    queueUrl: (key) => {
      const url = stack.queues.find((q) => q.key === key)?.url;
      if (!url) throw new Error(`the stack has no queue ${key}: ${stack.queues.map((q) => q.key).join(', ')}`);
      return url;
    },
    tableName,
    getItem: async (messageId) =>
      (
        await dynamodb.send(
          new GetItemCommand({ TableName: tableName(), Key: { messageId: { S: messageId } }, ConsistentRead: true }),
        )
      ).Item,
    queueDepth: (queueUrl) => queueDepth(sqs, queueUrl),
    close: () => {
      sqs.destroy();
      dynamodb.destroy();
    },
  };
}

/** Messages on a queue, visible or in flight (approximate, as SQS counts them). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(out.Attributes?.['ApproximateNumberOfMessages'] ?? 0) +
    Number(out.Attributes?.['ApproximateNumberOfMessagesNotVisible'] ?? 0)
  );
}

/** Receives and deletes every message on a queue, with its attributes, until a receive comes back empty. */
export async function takeAll(sqs: SQSClient, url: string): Promise<Message[]> {
  const taken: Message[] = [];
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return taken;
    taken.push(...messages);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
}

/** The string (`S`) value of each named attribute of an item, `undefined` where it has none. */
export function stringAttributes<Name extends string>(
  item: Item | undefined,
  names: readonly Name[],
): Record<Name, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, item?.[name]?.S])) as Record<Name, string | undefined>;
}
