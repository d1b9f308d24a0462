/** Small statistics and table helpers for the benchmarks. */

/** Nearest-rank quantile: always one of the values (NaN for none). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A median with its interquartile range: the spread the bench reports beside every figure. */
export interface Spread {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly n: number;
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  return { median: median(finite), p25: quantile(finite, 0.25), p75: quantile(finite, 0.75), n: finite.length };
}

/**
 * Combines two series measured in the same rounds, round by round (index i with index i), so
 * that load that hit one round hits both sides of its figure. Rounds missing on either side are
 * skipped.
 */
export function perRound(
  a: readonly number[],
  b: readonly number[],
  combine: (x: number, y: number) => number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined) out.push(combine(x, y));
  }
  return out;
}

/** `a / b` per round, summarized: e.g. a contender's cold time over the empty handler's. */
export const ratioSpread = (a: readonly number[], b: readonly number[]): Spread =>
  spread(perRound(a, b, (x, y) => x / y));

/** `a - b` per round, summarized: e.g. what one step of the cold start adds. */
export const differenceSpread = (a: readonly number[], b: readonly number[]): Spread =>
  spread(perRound(a, b, (x, y) => x - y));

/** `2.59x (2.41-2.77)`: median and interquartile range. */
export function formatSpread(s: Spread, unit = 'x', digits = 2): string {
  if (!Number.isFinite(s.median)) return '-';
  const f = (v: number) => v.toFixed(digits);
  return `${f(s.median)}${unit} (${f(s.p25)}-${f(s.p75)})`;
}

export interface Margin {
  /** The peer it is compared with: the one with the lowest median of `peerOverReference`. */
  readonly peerId: string;
  /** Ours over that peer, per round: below 1 means ours takes less time. */
  readonly ratio: Spread;
  /** The peer minus ours, per round: what ours saves (negative: what it costs more). */
  readonly saved: Spread;
}

/**
 * The margin of ours over the best peer. "Best" is judged on each peer's median ratio to the
 * reference, the same figure the table prints, so the margin is never taken against a peer the
 * table shows as worse.
 */
export function marginOverBestPeer(
  ours: readonly number[],
  peers: Readonly<Record<string, readonly number[]>>,
  reference: readonly number[],
): Margin | undefined {
  let best: { id: string; ratio: number } | undefined;
  for (const [id, series] of Object.entries(peers)) {
    const r = ratioSpread(series, reference).median;
    if (Number.isFinite(r) && (best === undefined || r < best.ratio)) best = { id, ratio: r };
  }
  if (!best) return undefined;
  const peer = peers[best.id] ?? [];
  return { peerId: best.id, ratio: ratioSpread(ours, peer), saved: differenceSpread(peer, ours) };
}

/** Prints a plain-text table, each column as wide as its widest cell. */
export function printGrid(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    widths
      .map((w, i) => (i === 0 ? (cells[i] ?? '').padEnd(w) : (cells[i] ?? '').padStart(w)))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}
