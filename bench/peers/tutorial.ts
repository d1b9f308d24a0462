import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import * as crypto from 'crypto';

// Peer 1, "the tutorial": the webhook receiver a blog post or a `sam init` template leads to.
// Bundled by the bench as CommonJS with the SDK's default credential chain; the public key is
// the PEM string from the environment, which crypto.verify parses again on every call; one INFO
// line per event. It does less than the ingest (one queue, no attributes, no size limit).
const sqs = new SQSClient({});

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  const signature = event.headers['x-respond-flow-signature'];
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
  const valid =
    signature !== undefined &&
    crypto.verify('sha256', Buffer.from(body), process.env['VOLT_PUBLIC_KEY'] ?? '', Buffer.from(signature, 'base64'));
  if (!valid) return { statusCode: 401, body: JSON.stringify({ message: 'invalid signature' }) };
  const webhook = JSON.parse(body) as { id?: string; payload?: { event_type?: string } };
  console.log(
    JSON.stringify({ level: 'INFO', message: 'webhook received', id: webhook.id, type: webhook.payload?.event_type }),
  );
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env['QUEUE_URL'], MessageBody: body }));
  return { statusCode: 200, body: JSON.stringify({ received: true }) };
};
