import { WINDOW_CACHE_MS } from '../../../../lambda/common/registration-window';
import { ProbeWindow, probeUpdate } from '../../../../lambda/ingest/probe-window';

describe('ProbeWindow', () => {
  function window(openUntil: () => Promise<number | undefined>) {
    let now = 1_000_000;
    let reads = 0;
    const w = new ProbeWindow(
      () => {
        reads++;
        return openUntil();
      },
      async () => undefined,
      () => now,
    );
    return { w, reads: () => reads, advance: (ms: number) => (now += ms), now: () => now };
  }

  it('is open while openUntil is in the future and closed once it has passed', async () => {
    const clock = window(async () => 1_000_000 + 10_000);
    expect(await clock.w.isOpen()).toBe(true);
    clock.advance(20_000);
    expect(await clock.w.isOpen()).toBe(false);
  });

  it('reads the table at most once per cache period, however many requests ask', async () => {
    const clock = window(async () => undefined);
    await Promise.all([clock.w.isOpen(), clock.w.isOpen(), clock.w.isOpen()]);
    await clock.w.isOpen();
    expect(clock.reads()).toBe(1);
    clock.advance(WINDOW_CACHE_MS);
    await clock.w.isOpen();
    expect(clock.reads()).toBe(2);
  });

  it('counts a failed read as closed, and reads again on the next request', async () => {
    let fail = true;
    const clock = window(async () => {
      if (fail) throw new Error('throttled');
      return 1_000_000 + 10_000;
    });
    expect(await clock.w.isOpen()).toBe(false);
    fail = false;
    expect(await clock.w.isOpen()).toBe(true);
  });

  it('writes the probe only while the window is open and only the first one', () => {
    const update = probeUpdate(
      't',
      { result: 'verified', matchingSchemes: [], configuredScheme: 'x', receivedAt: '' },
      42,
    );
    expect(update.ConditionExpression).toBe('#until > :now AND attribute_not_exists(#probe)');
    expect(update.ExpressionAttributeValues[':now']).toEqual({ N: '42' });
  });
});
