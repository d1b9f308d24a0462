import { eventTypeOf, MAX_ID_LENGTH, messageIdOf, parseEnvelope } from '../../../../lambda/common/envelope';
import { InvalidEventError } from '../../../../lambda/common/errors';
import { vendorEvent } from '../../../helpers/fixtures';

describe('message id rule', () => {
  it('uses payload.id for outbound events', () => {
    expect(messageIdOf(parseEnvelope(vendorEvent('message-sent').raw))).toBe('rf_o6aDxhawR227gt5wgZ2I');
  });

  it('uses message_app_id when payload.id is null (inbound)', () => {
    expect(messageIdOf(parseEnvelope(vendorEvent('message-received').raw))).toBe(
      'c7fdc0ba-f3df-4e30-a7fc-397940a6f675',
    );
  });

  it('uses message_app_id when payload.id is an empty string', () => {
    expect(messageIdOf(parseEnvelope('{"id":"rfw_1","payload":{"id":"","message_app_id":"app-1"}}'))).toBe('app-1');
  });

  it('falls back to the envelope id when the payload has neither', () => {
    expect(messageIdOf(parseEnvelope('{"id":"rfw_1","payload":{"id":7,"message_app_id":null}}'))).toBe('rfw_1');
    expect(messageIdOf(parseEnvelope('{"id":"rfw_2"}'))).toBe('rfw_2');
  });
});

describe('parseEnvelope', () => {
  it.each([
    ['not JSON', '{"id":', /not valid JSON/],
    ['an array', '[{"id":"x"}]', /not a JSON object/],
    ['a string', '"rfw_1"', /not a JSON object/],
    ['null', 'null', /not a JSON object/],
    ['an object without id', '{"payload":{}}', /no string "id"/],
    ['a numeric id', '{"id":12}', /no string "id"/],
    ['an empty id', '{"id":""}', /no string "id"/],
    ['an id that is too long', JSON.stringify({ id: 'x'.repeat(MAX_ID_LENGTH + 1) }), /longer than/],
    [
      'a payload id that is too long',
      JSON.stringify({ id: 'a', payload: { id: 'x'.repeat(MAX_ID_LENGTH + 1) } }),
      /payload id is longer/,
    ],
  ])('refuses %s', (_label, raw, message) => {
    expect(() => parseEnvelope(raw)).toThrow(InvalidEventError);
    expect(() => parseEnvelope(raw)).toThrow(message);
  });

  it('tolerates a payload that is not an object', () => {
    const envelope = parseEnvelope('{"id":"rfw_1","payload":"oops"}');
    expect(envelope.payload).toEqual({});
    expect(eventTypeOf(envelope)).toBe('unknown');
  });

  it('does not let __proto__ keys change the parsed object', () => {
    const envelope = parseEnvelope(
      '{"id":"rfw_1","__proto__":{"polluted":true},"payload":{"event_type":"message.sent"}}',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(eventTypeOf(envelope)).toBe('message.sent');
  });
});
