import type { ColdMatrix } from './cold';
import { EMPTY_ID, INGEST_STEPS, type Contender } from './lineup';
import type { Runtime } from './runtimes';
import {
  differenceSpread,
  formatSpread,
  marginOverBestPeer,
  printGrid,
  ratioSpread,
  spread,
  type Margin,
  type Spread,
} from './stats';
import type { WarmResult } from './warm';

/** The bench's tables: every figure beside its references from the same run, with its spread. */

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

function sizeOf(c: Contender): string {
  return c.loads ? `${kb(c.bytes)} ${c.loads}` : kb(c.bytes);
}

export interface ColdFigures {
  readonly ms: Spread;
  readonly vsEmpty: Spread;
  readonly vsFloor?: Spread;
}

export type ColdMetric = 'wall' | 'cpu';

export interface ColdSummary {
  /** By metric, runtime id, contender id. */
  readonly figures: Record<ColdMetric, Record<string, Record<string, ColdFigures>>>;
  readonly breakdown: Record<ColdMetric, Record<string, { readonly step: string; readonly ms: Spread }[]>>;
  readonly margin: Record<ColdMetric, Record<string, Margin | undefined>>;
}

const series = (matrix: ColdMatrix, metric: ColdMetric, runtime: string, id: string): number[] =>
  (matrix[runtime]?.[id] ?? []).map((s) => (metric === 'wall' ? s.wallMs : s.cpuMs));

export function summarizeCold(
  matrix: ColdMatrix,
  runtimes: readonly Runtime[],
  contenders: readonly Contender[],
): ColdSummary {
  const summary: ColdSummary = {
    figures: { wall: {}, cpu: {} },
    breakdown: { wall: {}, cpu: {} },
    margin: { wall: {}, cpu: {} },
  };
  const ids = new Set(contenders.map((c) => c.id));
  for (const metric of ['wall', 'cpu'] as const) {
    for (const rt of runtimes) {
      const of = (id: string) => series(matrix, metric, rt.id, id);
      const empty = of(EMPTY_ID);
      const figures: Record<string, ColdFigures> = {};
      for (const c of contenders) {
        figures[c.id] = {
          ms: spread(of(c.id)),
          vsEmpty: ratioSpread(of(c.id), empty),
          ...(c.floorId ? { vsFloor: ratioSpread(of(c.id), of(c.floorId)) } : {}),
        };
      }
      summary.figures[metric][rt.id] = figures;
      if (INGEST_STEPS.every((s) => ids.has(s.id))) {
        summary.breakdown[metric][rt.id] = INGEST_STEPS.map((s, i) => {
          const before = INGEST_STEPS[i - 1];
          return { step: s.cost, ms: before ? differenceSpread(of(s.id), of(before.id)) : spread(of(s.id)) };
        });
      }
      const peers = Object.fromEntries(contenders.filter((c) => c.role === 'peer').map((c) => [c.id, of(c.id)]));
      if (ids.has('ingest') && Object.keys(peers).length > 0)
        summary.margin[metric][rt.id] = marginOverBestPeer(of('ingest'), peers, empty);
    }
  }
  return summary;
}

/** `saves 12.3 ms (10.0-15.0)` or, when ours is slower, `costs 4.1 ms more (...)`. */
export function describeMargin(m: Margin, peerLabel: string): string {
  const saves = m.saved.median >= 0;
  const ms = saves ? m.saved : { ...m.saved, median: -m.saved.median, p25: -m.saved.p75, p75: -m.saved.p25 };
  return `${formatSpread(m.ratio)} of ${peerLabel}'s, ${formatSpread(ms, ' ms', 1)} ${saves ? 'less' : 'more'}`;
}

export function printCold(summary: ColdSummary, runtimes: readonly Runtime[], contenders: readonly Contender[]): void {
  const label = (id: string) => contenders.find((c) => c.id === id)?.label ?? id;
  for (const rt of runtimes) {
    console.log(`\n${rt.label}`);
    printGrid(
      ['contender', 'loaded', 'wall ms', 'x empty handler', 'x floor', 'CPU ms', 'CPU x empty'],
      contenders.map((c) => {
        const w = summary.figures.wall[rt.id]?.[c.id];
        const u = summary.figures.cpu[rt.id]?.[c.id];
        const notEmpty = c.id !== EMPTY_ID;
        return [
          c.label,
          sizeOf(c),
          w ? formatSpread(w.ms, '', 1) : '-',
          w && notEmpty ? formatSpread(w.vsEmpty) : '-',
          w?.vsFloor ? formatSpread(w.vsFloor) : '-',
          u ? formatSpread(u.ms, '', 1) : '-',
          u && notEmpty ? formatSpread(u.vsEmpty) : '-',
        ];
      }),
    );
    const m = summary.margin.wall[rt.id];
    const mc = summary.margin.cpu[rt.id];
    if (m) console.log(`ingest cold, wall time: ${describeMargin(m, label(m.peerId))} (the best peer)`);
    if (mc) console.log(`ingest cold, CPU time: ${describeMargin(mc, label(mc.peerId))} (the best peer)`);
  }
  const withBreakdown = runtimes.filter((rt) => summary.breakdown.wall[rt.id]);
  if (withBreakdown.length === 0) return;
  console.log('\nWhere the ingest cold time goes (ms; each step minus the one before it, per round, median)');
  const steps = summary.breakdown.wall[withBreakdown[0]?.id ?? ''] ?? [];
  printGrid(
    ['step', ...withBreakdown.flatMap((rt) => [`${rt.label}: wall`, 'CPU'])],
    steps.map((s, i) => [
      s.step,
      ...withBreakdown.flatMap((rt) =>
        (['wall', 'cpu'] as const).map((metric) => {
          const b = summary.breakdown[metric][rt.id]?.[i];
          return b ? formatSpread(b.ms, '', 1) : '-';
        }),
      ),
    ]),
  );
}

export interface WarmFigures {
  readonly cpuUs: Spread;
  readonly wallUs: Spread;
  readonly vsVerifyParse?: Spread;
  readonly vsFloor?: Spread;
}

export function summarizeWarm(
  warm: WarmResult,
  contenders: readonly Contender[],
  verifyParseId: string,
): Record<string, WarmFigures> {
  const out: Record<string, WarmFigures> = {};
  const cpu = (id: string) => warm.cpuUs[id] ?? [];
  for (const c of contenders) {
    if (!warm.cpuUs[c.id]) continue;
    out[c.id] = {
      cpuUs: spread(cpu(c.id)),
      wallUs: spread(warm.wallUs[c.id] ?? []),
      ...(c.event === 'webhook' && warm.cpuUs[verifyParseId] && c.id !== verifyParseId
        ? { vsVerifyParse: ratioSpread(cpu(c.id), cpu(verifyParseId)) }
        : {}),
      ...(c.floorId && warm.cpuUs[c.floorId] ? { vsFloor: ratioSpread(cpu(c.id), cpu(c.floorId)) } : {}),
    };
  }
  return out;
}

export function printWarm(
  byRuntime: Record<string, Record<string, WarmFigures>>,
  runtimes: readonly Runtime[],
  contenders: readonly Contender[],
): void {
  for (const rt of runtimes) {
    const figures = byRuntime[rt.id];
    if (!figures) continue;
    console.log(`\n${rt.label}`);
    printGrid(
      ['contender', 'CPU µs/event', 'x verify + parse', 'x floor', 'wall µs/event'],
      contenders
        .filter((c) => figures[c.id])
        .map((c) => {
          const f = figures[c.id] as WarmFigures;
          return [
            c.label,
            formatSpread(f.cpuUs, '', 0),
            f.vsVerifyParse ? formatSpread(f.vsVerifyParse) : '-',
            f.vsFloor ? formatSpread(f.vsFloor) : '-',
            formatSpread(f.wallUs, '', 0),
          ];
        }),
    );
  }
}
