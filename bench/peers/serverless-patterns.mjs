// Peer 2, in the style of the Serverless Land patterns: an unbundled ESM handler on the SDK v3
// client, which Lambda's runtime provides (here: the project's node_modules, loaded as is, with
// the SDK's full default credential chain). The key is parsed once at load; one line is logged
// per event. Like the tutorial it sends to one queue, without attributes.
import { Buffer } from 'node:buffer';
import { createPublicKey, verify } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const client = new SQSClient({});
const publicKey = createPublicKey(process.env.VOLT_PUBLIC_KEY ?? '');

export const handler = async (event) => {
  const signature = event.headers?.['x-respond-flow-signature'];
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  if (!signature || !verify('sha256', body, publicKey, Buffer.from(signature, 'base64'))) {
    return { statusCode: 401, body: JSON.stringify({ message: 'Unauthorized' }) };
  }
  const result = await client.send(
    new SendMessageCommand({ QueueUrl: process.env.QUEUE_URL, MessageBody: body.toString('utf8') }),
  );
  console.log(`Message ${result.MessageId} sent to the queue`);
  return { statusCode: 200, body: JSON.stringify({ messageId: result.MessageId }) };
};
