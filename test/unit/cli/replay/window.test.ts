import { UsageError } from '../../../../cli/command';
import { inWindow, parseInstant, parseWindow, windowForSubscriber } from '../../../../cli/replay/window';

describe('replay window', () => {
  it('reads ISO 8601 times with a zone and bare dates as UTC midnight', () => {
    expect(parseInstant('2026-11-29T10:15:00Z', '--since').toISOString()).toBe('2026-11-29T10:15:00.000Z');
    expect(parseInstant('2026-11-29T10:15+01:00', '--since').toISOString()).toBe('2026-11-29T09:15:00.000Z');
    expect(parseInstant('2026-11-29', '--since').toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it.each(['2026-11-29T10:15:00', 'yesterday', '2h', '2026-13-01', ''])('refuses "%s"', (text) => {
    expect(() => parseInstant(text, '--since')).toThrow(UsageError);
  });

  it('requires both ends and until after since', () => {
    expect(() => parseWindow(undefined, '2026-11-29', undefined)).toThrow(/--since and --until are required/);
    expect(() => parseWindow('2026-11-29', '2026-11-29', undefined)).toThrow(/later than --since/);
  });

  it('splits, trims, dedupes and sorts event types', () => {
    const w = parseWindow('2026-11-29', '2026-11-30', ['message.sent, message.finalized', 'message.sent']);
    expect(w.eventTypes).toEqual(['message.finalized', 'message.sent']);
    expect(() => parseWindow('2026-11-29', '2026-11-30', [' , '])).toThrow(/at least one type/);
  });

  it('keeps since <= receivedAt < until and the listed types', () => {
    const w = parseWindow('2026-11-29T10:00:00Z', '2026-11-29T11:00:00Z', ['message.sent']);
    expect(inWindow(w, '2026-11-29T10:00:00.000Z', 'message.sent')).toBe(true);
    expect(inWindow(w, '2026-11-29T10:59:59.999Z', 'message.sent')).toBe(true);
    expect(inWindow(w, '2026-11-29T11:00:00.000Z', 'message.sent')).toBe(false);
    expect(inWindow(w, '2026-11-29T09:59:59.999Z', 'message.sent')).toBe(false);
    expect(inWindow(w, '2026-11-29T10:30:00.000Z', 'message.finalized')).toBe(false);
    expect(inWindow(w, 'not a time', 'message.sent')).toBe(false);
  });

  test('a subscriber that takes some event types gets only those, and a type outside them is refused', () => {
    const open = parseWindow('2026-11-29', '2026-11-30', undefined);
    expect(windowForSubscriber(open, 'crm', undefined)).toBe(open);
    expect(windowForSubscriber(open, 'crm', ['message.received', 'message.finalized']).eventTypes).toEqual([
      'message.finalized',
      'message.received',
    ]);
    const narrower = parseWindow('2026-11-29', '2026-11-30', ['message.received']);
    expect(windowForSubscriber(narrower, 'crm', ['message.received', 'message.finalized'])).toBe(narrower);
    const outside = parseWindow('2026-11-29', '2026-11-30', ['message.sent,message.received']);
    expect(() => windowForSubscriber(outside, 'crm', ['message.received'])).toThrow(
      '--event-types message.sent: subscriber "crm" receives only message.received',
    );
  });
});
