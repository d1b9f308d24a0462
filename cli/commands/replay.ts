import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { rmSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ARCHIVE_PREFIX } from '../../lambda/common/archive-record';
import { ConfigurationError } from '../../lambda/common/errors';
import { DEFAULT_SCHEME, formatScheme, parseScheme, type SignatureScheme } from '../../lambda/common/signature';
import { STACK_OUTPUTS } from '../../lib/stack-outputs';
import { STATE_QUEUE_ROLE } from '../../lib/template-contract';
import { CliError, UsageError, type CliCommand, type CliIo } from '../command';
import type { ArchiveLocation } from '../replay/archive-reader';
import { DEFAULT_PROGRESS_DIR, ProgressRecord } from '../replay/progress';
import { progressReporter, type ProgressStream } from '../replay/progress-bar';
import { replayWindow, type ReplaySummary } from '../replay/replay';
import { trustedKeys } from '../replay/trusted-keys';
import { RecordChecker } from '../replay/verify';
import { parseWindow, type ReplayWindow } from '../replay/window';
import {
  explainAwsError,
  resolveStackContext,
  STACK_OPTIONS,
  STACK_OPTIONS_HELP,
  stackOptionsFrom,
  type StackContext,
} from '../stack-context';
import { findQueuePair } from './redrive';

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

/** The queue `--to` names: `state`, a subscriber's name, or any queue's URL. */
export function targetQueue(ctx: StackContext, to: string): { readonly name: string; readonly queueUrl: string } {
  if (/^https?:\/\//.test(to)) return { name: to, queueUrl: to };
  const pair = findQueuePair(ctx, to);
  return {
    name: pair.name === STATE_QUEUE_ROLE ? 'the state queue' : `subscriber ${pair.queueArg}`,
    queueUrl: pair.queueUrl,
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

function schemeOf(name: string): SignatureScheme {
  try {
    return parseScheme(name);
  } catch (err: unknown) {
    if (err instanceof ConfigurationError) throw new UsageError(`--scheme: ${err.message}`);
    throw err;
  }
}

/** Exit code of a run: 0 when every delivery of the window reached the queue, 130 when interrupted, else 1. */
function exitCode(summary: ReplaySummary): number {
  if (summary.interrupted) return 130;
  return summary.refused.length + summary.unreadable.length + summary.failed.length > 0 ? 1 : 0;
}

export const replay: CliCommand = {
  name: 'replay',
  summary: 'send a time window of archived deliveries again, to the state queue or a subscriber',
  help: `Usage: volt-webhooks replay --since <time> --until <time> --to state|<subscriber>|<queue URL>
                            [--event-types <type,...>] [--dry-run] [--no-verify] [--local | --stack <name>]

Reads the deliveries the stack archived (docs/archive.md) that were received in [--since, --until),
checks each one's signature over its archived bytes again with the stack's trusted keys, and
sends each event once to the target queue exactly as the ingest did (same body, same message
attributes, the original receivedAt). Deliveries that do not verify, or whose fields do not match
their signed body, are refused and listed. Replaying into the state queue is harmless: the
state rules dedupe by webhook id; subscribers dedupe on webhookId (README, "Subscribing").

A progress record (one file per stack, archive, window, event types and target) lists what
was sent; run the same command again after an interruption (Ctrl-C, a failure) and it sends
only the rest. A window already done is not sent again unless --restart is given.

  --since <time>         start of the window, inclusive: ISO 8601 with a zone (2026-11-29T10:00:00Z)
                         or a date (2026-11-29, midnight UTC)
  --until <time>         end of the window, exclusive; same format
  --to <target>          state, a subscriber's name, or the URL of any SQS queue
  --event-types <types>  only these event types, comma-separated (e.g. message.finalized)
  --dry-run              read and verify, print what would be sent; send and record nothing
  --no-verify            do not check signatures (fields are still checked against the body)
  --public-key <file>    trust the keys in this file (ssh-rsa lines, PEM, JWK or JWK set)
  --key-url <url>        trust the keys served at this URL
                         Default keys: with --local the local stack's signing key; for a deployed
                         stack what its ingest function trusts (its pinned keys or key URL, read with
                         cloudformation:ListStackResources and lambda:GetFunctionConfiguration)
  --scheme <scheme>      the signature scheme (default: the deployed ingest's, else ${formatScheme(DEFAULT_SCHEME)})
  --progress-dir <dir>   where progress records are kept (default ${DEFAULT_PROGRESS_DIR})
  --restart              forget this replay's progress record and send the whole window again
  --json                 print the summary as JSON

Exit code 0 when every delivery of the window was sent (or had been), 1 when some were refused,
unreadable or not accepted, 130 when interrupted.

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        since: { type: 'string' },
        until: { type: 'string' },
        to: { type: 'string' },
        'event-types': { type: 'string', multiple: true },
        'dry-run': { type: 'boolean', default: false },
        'no-verify': { type: 'boolean', default: false },
        'public-key': { type: 'string' },
        'key-url': { type: 'string' },
        scheme: { type: 'string' },
        'progress-dir': { type: 'string', default: DEFAULT_PROGRESS_DIR },
        restart: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const window = parseWindow(values.since, values.until, values['event-types']);
    if (values.to === undefined || values.to === '') throw new UsageError('--to is required');
    if (values['public-key'] !== undefined && values['key-url'] !== undefined)
      throw new UsageError('--public-key and --key-url exclude each other');
    if (values['no-verify'] && (values['public-key'] !== undefined || values['key-url'] !== undefined))
      throw new UsageError('--no-verify takes no keys');
    const schemeFlag = values.scheme === undefined ? undefined : schemeOf(values.scheme);

    const ctx = await resolveStackContext(stackOptionsFrom(values));
    const location = archiveLocation(ctx);
    const target = targetQueue(ctx, values.to);
    const keys = values['no-verify']
      ? undefined
      : await trustedKeys(ctx, {
          ...(values['public-key'] !== undefined ? { publicKeyFile: values['public-key'] } : {}),
          ...(values['key-url'] !== undefined ? { keyUrl: values['key-url'] } : {}),
        }).catch((err: unknown) => {
          throw explainAwsError(err, ctx);
        });
    // --scheme wins; else the deployed ingest's own; else the default.
    const scheme = schemeFlag ?? keys?.scheme ?? DEFAULT_SCHEME;
    const dryRun = values['dry-run'];
    const key = {
      stack: ctx.source,
      bucket: location.bucket,
      prefix: location.prefix,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      eventTypes: window.eventTypes ?? [],
      queueUrl: target.queueUrl,
    };
    const progressDir = path.resolve(values['progress-dir']);
    let progress = ProgressRecord.open(progressDir, key);
    if (values.restart && !dryRun) {
      rmSync(progress.file, { force: true });
      progress = ProgressRecord.open(progressDir, key);
    }
    if (progress.completed !== undefined && !dryRun) {
      io.out(
        values.json
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
      if (!values.json) {
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
        ...(dryRun ? { dryRun } : { progress }),
        onProgress: (p) => bar.update(p),
        signal: abort.signal,
      });
      bar.done();
      if (values.json)
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
  },
};
