import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { startStandins, type Standins } from '../../../local/standins';

// SQS counts a message being processed (received, not yet deleted, its visibility timeout
// running) as not visible only: ApproximateNumberOfMessages is what is available for retrieval.
// local-aws-sqs counts it in both, so a depth (visible + in flight) came out twice too high.

let standins: Standins;
let sqs: SQSClient;

beforeAll(async () => {
  standins = await startStandins({ region: 'us-east-1', accountId: '000000000000' });
  sqs = new SQSClient({
    region: 'us-east-1',
    endpoint: standins.endpoints.sqs,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  sqs.destroy();
  await standins.stop();
});

async function counts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.['ApproximateNumberOfMessages']),
    inFlight: Number(Attributes?.['ApproximateNumberOfMessagesNotVisible']),
  };
}

test('a received message counts as in flight, not as visible too', async () => {
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'counts' }));
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl,
      Entries: [0, 1, 2].map((i) => ({ Id: String(i), MessageBody: `m${i}` })),
    }),
  );
  expect(await counts(QueueUrl)).toEqual({ visible: 3, inFlight: 0 });

  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 2, VisibilityTimeout: 30 }),
  );
  expect(Messages).toHaveLength(2);
  expect(await counts(QueueUrl)).toEqual({ visible: 1, inFlight: 2 });

  // Back to visible: counted once again, as visible.
  await sqs.send(
    new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: Messages[0]?.ReceiptHandle, VisibilityTimeout: 0 }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(await counts(QueueUrl)).toEqual({ visible: 2, inFlight: 1 });

  // Asked alone, the visible count is right too.
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  expect(Attributes).toEqual({ ApproximateNumberOfMessages: '2' });
});
