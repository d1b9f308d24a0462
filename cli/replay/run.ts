import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ARCHIVE_PREFIX } from '../../lambda/common/archive-record';
import { DEFAULT_SCHEME, type SignatureScheme } from '../../lambda/common/signature';
import { STACK_OUTPUTS, subscriberEventTypesOutputId } from '../../lib/stack-outputs';
import { STATE_QUEUE_ROLE } from '../../lib/template-contract';
import { CliError, type CliIo } from '../command';
import { findQueuePair } from '../commands/redrive';
import { explainAwsError, resolveStackContext, type StackContext, type StackOptions } from '../stack-context';
import type { ArchiveLocation } from './archive-reader';
import { ProgressRecord, replayIdOf } from './progress';
import { progressReporter, type ProgressStream } from './progress-bar';
import { replayWindow, type ReplaySummary } from './replay';
import { trustedKeys } from './trusted-keys';
import { RecordChecker } from './verify';
import { windowForSubscriber, type ReplayWindow } from './window';

/**
 * `volt-webhooks replay` once its arguments are checked (`cli/commands/replay.ts`): finding the
 * stack, its archive, the target and the keys, then the run and its summary.
 */

/** The checked command line. */
export interface ReplayArgs {
  readonly stack: StackOptions;
  readonly window: ReplayWindow;
  readonly to: string;
  readonly dryRun: boolean;
  readonly noVerify: boolean;
  readonly publicKeyFile?: string;
  readonly keyUrl?: string;
  /** `--scheme`, parsed. */
  readonly scheme?: SignatureScheme;
  readonly progressDir: string;
  readonly restart: boolean;
  readonly json: boolean;
}

/** The archive's bucket and prefix: the stack's outputs (the local stack file's fields). */
export function archiveLocation(ctx: StackContext): ArchiveLocation {
  const bucket = ctx.outputs[STACK_OUTPUTS.archiveBucketName];
  if (bucket === undefined || bucket === '') {
    const where = ctx.kind === 'local' ? `the local stack ${ctx.source}` : `stack "${ctx.source}"`;
    throw new CliError(
      `${where} has no archive (no ${STACK_OUTPUTS.archiveBucketName} output): deploy (or start) it with the archive on`,
    );
  }
  return { bucket, prefix: ctx.outputs[STACK_OUTPUTS.archivePrefix] ?? DEFAULT_ARCHIVE_PREFIX };
}

/** S3 client settings: a local stack's stand-in is addressed path-style (no per-bucket host names on 127.0.0.1). */
export function s3Settings(ctx: StackContext): S3ClientConfig {
  if (ctx.kind !== 'local') return ctx.region !== undefined ? { region: ctx.region } : {};
  const endpoint = ctx.local?.s3Endpoint;
  if (endpoint === undefined) throw new CliError(`the local stack file ${ctx.source} has no s3Endpoint: restart it`);
  return { ...ctx.sqs, endpoint, forcePathStyle: true };
}

/**
 * The queue `--to` names: `state`, a subscriber's name, or any queue's URL. For a subscriber
 * that takes only some event types (its `Subscriber<Name>EventTypes` output), those types.
 */
export function targetQueue(
  ctx: StackContext,
  to: string,
): { readonly name: string; readonly queueUrl: string; readonly subscriber?: string; readonly eventTypes?: string[] } {
  if (/^https?:\/\//.test(to)) return { name: to, queueUrl: to };
  const pair = findQueuePair(ctx, to);
  if (pair.name === STATE_QUEUE_ROLE) return { name: 'the state queue', queueUrl: pair.queueUrl };
  const types = ctx.outputs[subscriberEventTypesOutputId(pair.name)];
  return {
    name: `subscriber ${pair.queueArg}`,
    queueUrl: pair.queueUrl,
    subscriber: pair.name,
    ...(types !== undefined && types !== '' ? { eventTypes: types.split(',') } : {}),
  };
}

function counts(byType: Readonly<Record<string, number>>): string {
  const parts = Object.entries(byType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${type} ${n}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function printSummary(
  io: CliIo,
  summary: ReplaySummary,
  facts: { window: ReplayWindow; location: ArchiveLocation; target: string; dryRun: boolean; record?: string },
): void {
  const { window, location } = facts;
  const lines = [
    `${facts.dryRun ? 'Dry run: would replay' : 'Replayed'} ${window.since.toISOString()} .. ${window.until.toISOString()}` +
      `${window.eventTypes ? ` (${window.eventTypes.join(', ')})` : ''} from s3://${location.bucket}/${location.prefix} into ${facts.target}:`,
    `  ${summary.records} archived deliveries in the window (${summary.objects} objects, ${summary.hours} hours)`,
    `  ${summary.sent} ${facts.dryRun ? 'to send' : 'sent'}${counts(summary.sentByEventType)}`,
  ];
  if (summary.alreadySent > 0) lines.push(`  ${summary.alreadySent} skipped: sent by an earlier run of this replay`);
  if (summary.duplicates > 0)
    lines.push(`  ${summary.duplicates} skipped: a repeated delivery of an event already sent`);
  if (summary.refused.length > 0) {
    lines.push(`  ${summary.refused.length} refused (not sent):`);
    for (const r of summary.refused) lines.push(`    ${r.webhookId}  received ${r.receivedAt}  ${r.reason}`);
  }
  if (summary.unreadable.length > 0) {
    lines.push(`  ${summary.unreadable.length} archive object(s) unreadable:`);
    for (const u of summary.unreadable) lines.push(`    ${u.key}  ${u.reason}`);
  }
  if (summary.failed.length > 0) {
    lines.push(`  ${summary.failed.length} not accepted by SQS (run the same command again to retry them):`);
    for (const f of summary.failed) lines.push(`    ${f.webhookId}  ${f.reason}`);
  }
  if (summary.interrupted) lines.push('  Interrupted: run the same command again to resume where it stopped.');
  if (facts.record !== undefined) lines.push(`Progress record: ${facts.record}`);
  io.out(lines.join('\n'));
}

/** Exit code of a run: 0 when every delivery of the window reached the queue, 130 when interrupted, else 1. */
function exitCode(summary: ReplaySummary): number {
  if (summary.interrupted) return 130;
  return summary.refused.length + summary.unreadable.length + summary.failed.length > 0 ? 1 : 0;
}

export async function runReplay(args: ReplayArgs, io: CliIo): Promise<number> {
  const ctx = await resolveStackContext(args.stack);
  const location = archiveLocation(ctx);
  const target = targetQueue(ctx, args.to);
  const window = windowForSubscriber(args.window, target.subscriber ?? '', target.eventTypes);
  const keys = args.noVerify
    ? undefined
    : await trustedKeys(ctx, {
        ...(args.publicKeyFile !== undefined ? { publicKeyFile: args.publicKeyFile } : {}),
        ...(args.keyUrl !== undefined ? { keyUrl: args.keyUrl } : {}),
      }).catch((err: unknown) => {
        throw explainAwsError(err, ctx);
      });
  // --scheme wins; else the deployed ingest's own; else the default.
  const scheme = args.scheme ?? keys?.scheme ?? DEFAULT_SCHEME;
  const { dryRun } = args;
  const key = {
    stack: ctx.source,
    bucket: location.bucket,
    prefix: location.prefix,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    eventTypes: window.eventTypes ?? [],
    queueUrl: target.queueUrl,
  };
  const progressDir = path.resolve(args.progressDir);
  let progress = ProgressRecord.open(progressDir, key);
  if (args.restart && !dryRun) {
    rmSync(progress.file, { force: true });
    progress = ProgressRecord.open(progressDir, key);
  }
  if (progress.completed !== undefined && !dryRun) {
    io.out(
      args.json
        ? JSON.stringify({ status: 'ALREADY_DONE', completedAt: progress.completed, progressRecord: progress.file })
        : `This replay finished at ${progress.completed} (progress record ${progress.file}): nothing sent. Pass --restart to send the window again.`,
    );
    return 0;
  }

  const s3 = new S3Client(s3Settings(ctx));
  const sqs = new SQSClient({ ...ctx.sqs });
  const abort = new AbortController();
  // The first Ctrl-C stops between two batches, with what was sent recorded; a second one
  // gets Node's default (exit at once).
  const onInterrupt = () => abort.abort();
  process.once('SIGINT', onInterrupt);
  const bar = progressReporter(process.stderr as ProgressStream);
  try {
    if (!args.json) {
      const resumed = progress.resumed && !dryRun ? `, resuming (${progress.sent.size} already sent)` : '';
      io.out(
        `Reading s3://${location.bucket}/${location.prefix} for ${target.name}; keys: ${keys ? keys.source : 'not checked (--no-verify)'}${resumed}`,
      );
    }
    const summary = await replayWindow({
      s3,
      sqs,
      location,
      window,
      queueUrl: target.queueUrl,
      checker: new RecordChecker(keys?.keyRing, scheme),
      // Marks every message, so the consumer does not archive a replayed delivery again.
      replayId: replayIdOf(key),
      ...(dryRun ? { dryRun } : { progress }),
      onProgress: (p) => bar.update(p),
      signal: abort.signal,
    });
    bar.done();
    if (args.json)
      io.out(
        JSON.stringify({ ...summary, target: target.queueUrl, progressRecord: dryRun ? undefined : progress.file }),
      );
    else
      printSummary(io, summary, {
        window,
        location,
        target: target.name,
        dryRun,
        ...(dryRun ? {} : { record: progress.file }),
      });
    return exitCode(summary);
  } catch (err: unknown) {
    bar.done();
    throw explainAwsError(err, ctx);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    s3.destroy();
    sqs.destroy();
  }
}
