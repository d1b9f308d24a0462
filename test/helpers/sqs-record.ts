import type { SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { QueueMessageAttributes } from '../../lambda/common/queue-message';
import { sqsMessageInput } from '../../lambda/ingest/targets/sqs';

/** One record of an SQS event as Lambda's event source delivers it (first receive, no attributes). */
export function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'x',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:state',
    awsRegion: 'us-east-1',
  };
}

/**
 * The record Lambda delivers for a message the ingest sent: the ingest's own SendMessage input
 * for `json` (the body, base64 with `bodyEncoding` when SQS needs it, the String attributes), in
 * the event's shape.
 */
export function deliveryRecord(messageId: string, json: string, attributes: QueueMessageAttributes): SQSRecord {
  const input = sqsMessageInput('state', json, attributes);
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(input.MessageAttributes ?? {}))
    messageAttributes[name] = {
      dataType: value.DataType ?? 'String',
      stringValue: value.StringValue ?? '',
      stringListValues: [],
      binaryListValues: [],
    };
  return { ...sqsRecord(messageId, input.MessageBody ?? ''), messageAttributes };
}
