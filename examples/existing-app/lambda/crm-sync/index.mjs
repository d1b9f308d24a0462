// Your own subscriber. Each SQS record is one Volt webhook: the body is exactly what Volt sent
// (base64 when the bodyEncoding attribute says so: SQS refuses a few characters JSON may hold),
// and the message attributes carry webhookId, eventType and messageId. Delivery is at least
// once, so a real consumer deduplicates on webhookId (the same on every retry of one event).
import { Buffer } from 'node:buffer';

export const handler = async (event) => {
  const batchItemFailures = [];
  for (const record of event.Records) {
    try {
      const encoded = record.messageAttributes.bodyEncoding?.stringValue === 'base64';
      const { payload } = JSON.parse(encoded ? Buffer.from(record.body, 'base64').toString('utf8') : record.body);
      // Log ids only: phone numbers and message text stay out of the logs.
      console.log(
        JSON.stringify({
          webhookId: record.messageAttributes.webhookId?.stringValue,
          messageAppId: payload.message_app_id,
          parts: payload.parts,
        }),
      );
    } catch (err) {
      console.error(err);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
