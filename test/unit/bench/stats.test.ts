import {
  differenceSpread,
  formatSpread,
  marginOverBestPeer,
  perRound,
  quantile,
  ratioSpread,
  spread,
} from '../../../bench/stats';

describe('quantile', () => {
  it('takes the nearest rank, always one of the values', () => {
    const values = [40, 10, 30, 20];
    expect(quantile(values, 0.5)).toBe(20);
    expect(quantile(values, 0.25)).toBe(10);
    expect(quantile(values, 0.75)).toBe(30);
    expect(quantile(values, 0.99)).toBe(40);
  });

  it('is NaN for no values', () => {
    expect(quantile([], 0.5)).toBeNaN();
  });
});

describe('spread', () => {
  it('gives the median and interquartile range of the finite values', () => {
    expect(spread([5, 1, Number.NaN, 3, 2, 4])).toEqual({ median: 3, p25: 2, p75: 4, n: 5 });
  });
});

describe('per-round figures', () => {
  it('pairs round i with round i and skips rounds one side lacks', () => {
    expect(perRound([1, 2, 3], [10, 20], (a, b) => a + b)).toEqual([11, 22]);
  });

  it('takes the ratio within each round, so load on one round cancels out', () => {
    // Round 2 ran three times slower on both sides: the per-round ratio stays 2.
    const ours = [20, 60, 22];
    const empty = [10, 30, 11];
    expect(ratioSpread(ours, empty)).toEqual({ median: 2, p25: 2, p75: 2, n: 3 });
  });

  it('takes the difference within each round', () => {
    expect(differenceSpread([20, 60, 22], [10, 30, 11])).toEqual({ median: 11, p25: 10, p75: 30, n: 3 });
  });
});

describe('marginOverBestPeer', () => {
  const empty = [10, 10, 10];
  const peers = { slow: [40, 40, 40], fast: [30, 33, 36] };

  it('compares with the peer whose ratio to the reference is lowest', () => {
    const m = marginOverBestPeer([24, 24, 24], peers, empty);
    expect(m?.peerId).toBe('fast');
    expect(m?.ratio.median).toBeCloseTo(24 / 33);
    expect(m?.saved).toEqual({ median: 9, p25: 6, p75: 12, n: 3 });
  });

  it('reports a negative saving when ours is slower than the best peer', () => {
    expect(marginOverBestPeer([45, 45, 45], peers, empty)?.saved.median).toBe(-12);
  });

  it('is undefined without peers', () => {
    expect(marginOverBestPeer([1], {}, [1])).toBeUndefined();
  });
});

describe('formatSpread', () => {
  it('prints the median with the interquartile range', () => {
    expect(formatSpread({ median: 2.594, p25: 2.41, p75: 2.774, n: 9 })).toBe('2.59x (2.41-2.77)');
    expect(formatSpread({ median: 12.34, p25: 10, p75: 15, n: 9 }, ' ms', 1)).toBe('12.3 ms (10.0-15.0)');
  });

  it('prints a dash when there is no figure', () => {
    expect(formatSpread(spread([]))).toBe('-');
  });
});
