import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { runDoctor } from '../../../../cli/commands/doctor';
import { findQueuePair } from '../../../../cli/commands/redrive';
import type { StackContext } from '../../../../cli/stack-context';

/**
 * `doctor`'s queue lines, by SQS's documented meaning of the two counts:
 * ApproximateNumberOfMessages is the messages available to receive, and
 * ApproximateNumberOfMessagesNotVisible those received and not yet deleted (in flight). The
 * SQS stand-in (local-aws-sqs 2) counts in-flight messages in the first as well, so these
 * answers are mocked rather than read from it.
 */

const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());

const url = (name: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`;

const ctx: StackContext = {
  kind: 'deployed',
  source: 'Ops',
  region: 'eu-west-1',
  outputs: {
    StateQueueUrl: url('state'),
    StateDlqUrl: url('state-dlq'),
    SubscriberCrmQueueUrl: url('crm'),
    SubscriberCrmDlqUrl: url('crm-dlq'),
  },
  dynamodb: {},
  sqs: { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } },
};

function counts(waiting: number, inFlight: number) {
  return {
    Attributes: {
      ApproximateNumberOfMessages: String(waiting),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
    },
  };
}

async function queueLines(): Promise<Record<string, string>> {
  const results = await runDoctor(ctx, { timeoutMs: 1000, keyFile: __filename });
  return Object.fromEntries(
    results.filter((r) => r.check.startsWith('queue ')).map((r) => [r.check, `${r.status} ${r.reason}`]),
  );
}

beforeEach(() => sqs.reset());

test('messages being processed are counted apart from those waiting to be received', async () => {
  sqs.on(GetQueueAttributesCommand).resolves(counts(0, 0));
  sqs.on(GetQueueAttributesCommand, { QueueUrl: url('state') }).resolves(counts(2, 7));
  expect((await queueLines())['queue state']).toBe(
    'ok reachable, 2 message(s) waiting, 7 in flight (received, not yet deleted), DLQ empty',
  );
});

test('a DLQ counts as holding messages when they are only being read, and says so with a redrive that finds the queue', async () => {
  sqs.on(GetQueueAttributesCommand).resolves(counts(0, 0));
  sqs.on(GetQueueAttributesCommand, { QueueUrl: url('crm-dlq') }).resolves(counts(0, 2));
  expect((await queueLines())['queue SubscriberCrm']).toBe(
    'FAIL 2 message(s) in its DLQ (2 being read now): fix the cause, then `npx volt-webhooks redrive --queue Crm --stack Ops --region eu-west-1`',
  );
  // What the advice names is what redrive finds the queue by on a deployed stack.
  expect(findQueuePair(ctx, 'Crm')).toMatchObject({ queueUrl: url('crm'), dlqUrl: url('crm-dlq') });
});
