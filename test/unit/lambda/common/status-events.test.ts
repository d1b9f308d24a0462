import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FAILURE_STATUSES } from '../../../../lambda/consumer/state-rules';
import {
  detailTypeOf,
  STATUS_DETAIL_TYPES,
  STATUS_EVENT_SCHEMA,
  type MessageStatusEvent,
} from '../../../../lambda/common/status-events';
import { statusChangeOf } from '../../../../lambda/publisher/transition';
import { statusEventValidator } from '../../../helpers/status-schema';

const SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', '..', 'schemas', 'message-status-event.json');

/** An event as EventBridge delivers one the publisher put. */
function eventOf(detail: MessageStatusEvent['detail'], detailType = detailTypeOf(detail.eventType, detail.status)) {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': detailType,
    source: 'volt-sms-webhooks',
    account: '111122223333',
    time: '2026-11-25T01:00:01Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

const s = (v: string) => ({ S: v });
const failedChange = statusChangeOf({
  eventName: 'MODIFY',
  dynamodb: {
    OldImage: { status: s('sent'), stateKey: s('2#a#b') },
    NewImage: {
      messageId: s('rf_1'),
      webhookId: s('rfw_2'),
      stateKey: s('3#2026-11-25T01:00:01.000Z#rfw_2'),
      status: s('failed'),
      eventType: s('message.finalized'),
      occurredAt: s('2026-11-25T01:00:01.000Z'),
      direction: s('outbound'),
      fromNumber: s('+15555550100'),
      toNumber: s('+15555550123'),
      errorCode: s('702'),
      providerErrorTitle: s('Blocked as spam'),
      carrierName: s('Carrier'),
    },
  },
});

describe('the status event schema', () => {
  it('is the file in the repository (npm run docs:schema writes it)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(STATUS_EVENT_SCHEMA);
  });

  it('is a valid draft-04 schema that a strict validator compiles', () => {
    expect(() => statusEventValidator()).not.toThrow();
  });

  it('validates an event the publisher builds', () => {
    const validate = statusEventValidator();
    expect(failedChange).toBeDefined();
    expect(validate(eventOf(failedChange!.detail, failedChange!.detailType))).toBe(true);
  });

  it('refuses what a reader must not get: an unknown detail field, a missing status, a detail-type it does not list, a bad time', () => {
    const validate = statusEventValidator();
    const detail = failedChange!.detail;
    const { status: _status, ...withoutStatus } = detail;
    for (const bad of [
      eventOf({ ...detail, text: 'hello' } as MessageStatusEvent['detail']),
      eventOf(withoutStatus as MessageStatusEvent['detail']),
      eventOf(detail, 'Message Exploded' as MessageStatusEvent['detail-type']),
      eventOf({ ...detail, occurredAt: '2026-11-25 01:00' }),
      eventOf({ ...detail, previousStatus: '' }),
    ])
      expect(validate(bad)).toBe(false);
  });

  it('lists every detail-type the publisher can name', () => {
    expect(STATUS_EVENT_SCHEMA.properties['detail-type'].enum).toEqual([...STATUS_DETAIL_TYPES]);
  });

  it('names the failed index’s statuses Message Failed (one definition of failure)', () => {
    const failed = ['failed', 'delivery_failed', 'sending_failed', 'expired', 'delivered', 'sent', 'queued'].filter(
      (status) => detailTypeOf('message.finalized', status) === 'Message Failed',
    );
    expect(new Set(failed)).toEqual(new Set(FAILURE_STATUSES));
  });
});
