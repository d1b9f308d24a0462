import type { ReplayProgress } from './replay';

/** Where progress goes: stderr, so stdout keeps only the summary (and `--json` stays parseable). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

const WIDTH = 24;

/** `[#########---------------] 9/24 hours  1204 sent  0 refused`. */
export function progressLine(p: ReplayProgress): string {
  const filled = p.hours === 0 ? WIDTH : Math.round((p.hoursDone / p.hours) * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${p.hoursDone}/${p.hours} hours  ${p.sent} sent  ${p.refused} refused`;
}

/**
 * Shows a replay's progress: on a terminal one line redrawn in place (at most every
 * `intervalMs`, and always when an hour completes); elsewhere (a log, CI) one line per hour
 * done, so a log does not fill with carriage returns.
 */
export function progressReporter(
  stream: ProgressStream,
  intervalMs = 100,
): { update(p: ReplayProgress): void; done(): void } {
  let lastDraw = 0;
  let lastHours = 0;
  let drawn = false;
  return {
    update(p) {
      const hourDone = p.hoursDone !== lastHours;
      lastHours = p.hoursDone;
      if (stream.isTTY) {
        const now = Date.now();
        if (!hourDone && now - lastDraw < intervalMs) return;
        lastDraw = now;
        stream.write(`\r${progressLine(p)}\x1b[K`);
        drawn = true;
      } else if (hourDone) {
        stream.write(`${progressLine(p)}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
    },
  };
}
