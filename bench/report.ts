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

export interface ColdSummary {
  readonly byRuntime: Record<string, Record<string, ColdFigures>>;
  readonly breakdown: Record<string, { readonly step: string; readonly ms: Spread }[]>;
  readonly margin: Record<string, Margin | undefined>;
}

const wall = (matrix: ColdMatrix, runtime: string, id: string): number[] =>
  (matrix[runtime]?.[id] ?? []).map((s) => s.wallMs);

export function summarizeCold(
  matrix: ColdMatrix,
  runtimes: readonly Runtime[],
  contenders: readonly Contender[],
): ColdSummary {
  const byRuntime: ColdSummary['byRuntime'] = {};
  const breakdown: ColdSummary['breakdown'] = {};
  const margin: ColdSummary['margin'] = {};
  const ids = new Set(contenders.map((c) => c.id));
  for (const rt of runtimes) {
    const empty = wall(matrix, rt.id, EMPTY_ID);
    byRuntime[rt.id] = {};
    for (const c of contenders) {
      const own = wall(matrix, rt.id, c.id);
      (byRuntime[rt.id] as Record<string, ColdFigures>)[c.id] = {
        ms: spread(own),
        vsEmpty: ratioSpread(own, empty),
        ...(c.floorId ? { vsFloor: ratioSpread(own, wall(matrix, rt.id, c.floorId)) } : {}),
      };
    }
    if (INGEST_STEPS.every((s) => ids.has(s.id))) {
      breakdown[rt.id] = INGEST_STEPS.map((s, i) => {
        const before = INGEST_STEPS[i - 1];
        const own = wall(matrix, rt.id, s.id);
        return { step: s.cost, ms: before ? differenceSpread(own, wall(matrix, rt.id, before.id)) : spread(own) };
      });
    }
    const peers = Object.fromEntries(
      contenders.filter((c) => c.role === 'peer').map((c) => [c.id, wall(matrix, rt.id, c.id)]),
    );
    if (ids.has('ingest') && Object.keys(peers).length > 0)
      margin[rt.id] = marginOverBestPeer(wall(matrix, rt.id, 'ingest'), peers, empty);
  }
  return { byRuntime, breakdown, margin };
}

export function printCold(summary: ColdSummary, runtimes: readonly Runtime[], contenders: readonly Contender[]): void {
  for (const rt of runtimes) {
    console.log(`\n${rt.label}`);
    printGrid(
      ['contender', 'loaded', 'ms', 'x empty handler', 'x floor'],
      contenders.map((c) => {
        const f = summary.byRuntime[rt.id]?.[c.id];
        return [
          c.label,
          sizeOf(c),
          f ? formatSpread(f.ms, '', 1) : '-',
          f && c.id !== EMPTY_ID ? formatSpread(f.vsEmpty) : '-',
          f?.vsFloor ? formatSpread(f.vsFloor) : '-',
        ];
      }),
    );
    const m = summary.margin[rt.id];
    if (m) {
      const peer = contenders.find((c) => c.id === m.peerId)?.label ?? m.peerId;
      const saves = m.saved.median >= 0;
      const ms = saves ? m.saved : { ...m.saved, median: -m.saved.median, p25: -m.saved.p75, p75: -m.saved.p25 };
      console.log(
        `ingest vs the best peer (${peer}): ${formatSpread(m.ratio)} of its cold time, ${formatSpread(ms, ' ms', 1)} ${saves ? 'less' : 'more'}`,
      );
    }
  }
  const withBreakdown = runtimes.filter((rt) => summary.breakdown[rt.id]);
  if (withBreakdown.length === 0) return;
  console.log('\nWhere the ingest cold time goes (ms; each step minus the one before it, per round, median)');
  const steps = summary.breakdown[withBreakdown[0]?.id ?? ''] ?? [];
  printGrid(
    ['step', ...withBreakdown.map((rt) => rt.label)],
    steps.map((s, i) => [
      s.step,
      ...withBreakdown.map((rt) => {
        const b = summary.breakdown[rt.id]?.[i];
        return b ? formatSpread(b.ms, '', 1) : '-';
      }),
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
