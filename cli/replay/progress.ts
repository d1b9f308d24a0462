import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import * as path from 'node:path';
import { CliError } from '../command';

/** Where progress records are kept unless `--progress-dir` says otherwise, relative to the working directory. */
export const DEFAULT_PROGRESS_DIR = path.join('.volt-webhooks', 'replay');

/** What names one replay: the same stack, archive, window and target find the same record again. */
export interface ReplayKey {
  readonly stack: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly since: string;
  readonly until: string;
  readonly eventTypes: readonly string[];
  /** The target queue's URL. */
  readonly queueUrl: string;
}

/**
 * A replay's id: a digest of its key, so the same command (run again to resume) has the same id.
 * It names the progress record and is the value of the `replayed` attribute on what it sends.
 */
export function replayIdOf(key: ReplayKey): string {
  const canonical = JSON.stringify([
    key.stack,
    key.bucket,
    key.prefix,
    key.since,
    key.until,
    [...key.eventTypes].sort(),
    key.queueUrl,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

/** The file name of a replay's progress record: its id, so any key makes a safe name. */
export function progressFileName(key: ReplayKey): string {
  return `${replayIdOf(key)}.ndjson`;
}

interface Line {
  readonly replay?: ReplayKey;
  readonly sent?: readonly string[];
  readonly completedAt?: string;
}

/**
 * A replay's progress record: an append-only NDJSON file whose first line is the replay's key and
 * each later line the webhook ids of one batch SQS accepted (written right after the batch, with
 * a synchronous append, so an interrupted run loses at most the batch in flight), then a line
 * when the window is done. A rerun of the same replay skips every id it holds.
 *
 * The gap: a run killed after SQS accepted a batch and before the line was written sends that
 * batch again on resume (at most the batches in flight, `DEFAULT_SEND_CONCURRENCY` of 10). Replay is at-least-once, as every delivery
 * is: the state rules and subscribers dedupe on `webhookId`.
 */
export class ProgressRecord {
  private readonly sentIds = new Set<string>();
  private completedAt: string | undefined;
  private started = false;

  private constructor(
    readonly file: string,
    private readonly key: ReplayKey,
  ) {}

  /** The record of `key` in `dir`, with what an earlier run of the same replay recorded. */
  static open(dir: string, key: ReplayKey): ProgressRecord {
    const record = new ProgressRecord(path.join(dir, progressFileName(key)), key);
    let text: string;
    try {
      text = readFileSync(record.file, 'utf8');
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return record;
      throw new CliError(`cannot read the progress record ${record.file}: ${(err as Error).message}`);
    }
    // A run killed in the middle of an append leaves a torn last line, without its newline: it is
    // cut off, so the next append starts a line of its own, and that batch is sent again.
    const whole = text.length === 0 || text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    if (whole.length < text.length) truncateSync(record.file, Buffer.byteLength(whole));
    record.started = whole.length > 0;
    const lines = whole.split('\n').filter((l) => l !== '');
    lines.forEach((text, i) => {
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        throw new CliError(`the progress record ${record.file} is damaged at line ${i + 1}: delete it to start over`);
      }
      for (const id of line.sent ?? []) record.sentIds.add(id);
      if (line.completedAt !== undefined) record.completedAt = line.completedAt;
    });
    return record;
  }

  /** Webhook ids already sent by this replay. */
  get sent(): ReadonlySet<string> {
    return this.sentIds;
  }

  /** When an earlier run finished the whole window, if one did. */
  get completed(): string | undefined {
    return this.completedAt;
  }

  /** True when an earlier run of this replay wrote anything. */
  get resumed(): boolean {
    return this.started;
  }

  private append(line: Line): void {
    if (!this.started) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify({ replay: this.key })}\n`);
      this.started = true;
    }
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }

  /** Records ids SQS accepted; ids already recorded are not written again. */
  recordSent(ids: readonly string[]): void {
    const fresh = [...new Set(ids)].filter((id) => !this.sentIds.has(id));
    if (fresh.length === 0) return;
    this.append({ sent: fresh });
    for (const id of fresh) this.sentIds.add(id);
  }

  /** Marks the window done. */
  complete(at: Date): void {
    this.completedAt = at.toISOString();
    this.append({ completedAt: this.completedAt });
  }
}

/** Every webhook id a progress record file lists, in order, repeats included: what the tests check. */
export function recordedIds(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l) => {
      try {
        return (JSON.parse(l) as Line).sent ?? [];
      } catch {
        return [];
      }
    });
}
