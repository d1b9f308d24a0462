import { progressLine, progressReporter } from '../../../../cli/replay/progress-bar';

describe('replay progress', () => {
  it('draws the share of hours done', () => {
    expect(progressLine({ hoursDone: 6, hours: 24, sent: 12, refused: 1 })).toBe(
      `[${'#'.repeat(6)}${'-'.repeat(18)}] 6/24 hours  12 sent  1 refused`,
    );
  });

  it('redraws one line in place on a terminal and ends it once', () => {
    const writes: string[] = [];
    const reporter = progressReporter({ isTTY: true, write: (t: string) => writes.push(t) }, 0);
    reporter.update({ hoursDone: 0, hours: 2, sent: 10, refused: 0 });
    reporter.update({ hoursDone: 1, hours: 2, sent: 10, refused: 0 });
    reporter.done();
    expect(writes.slice(0, 2).every((w) => w.startsWith('\r') && !w.includes('\n'))).toBe(true);
    expect(writes.at(-1)).toBe('\n');
  });

  it('writes one line per hour done when not on a terminal', () => {
    const writes: string[] = [];
    const reporter = progressReporter({ isTTY: false, write: (t: string) => writes.push(t) });
    reporter.update({ hoursDone: 0, hours: 2, sent: 10, refused: 0 });
    reporter.update({ hoursDone: 0, hours: 2, sent: 20, refused: 0 });
    reporter.update({ hoursDone: 1, hours: 2, sent: 20, refused: 0 });
    reporter.done();
    expect(writes).toEqual([`${progressLine({ hoursDone: 1, hours: 2, sent: 20, refused: 0 })}\n`]);
  });
});
