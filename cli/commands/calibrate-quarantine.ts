import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseQuarantineRecord } from '../../lambda/ingest/quarantine';
import { DEFAULT_VOLT_PUBLIC_KEY_URL } from '../../lambda/common/key-ring';
import { parsePublicKeyDocument } from '../../lambda/common/keys';
import { findMatchingSchemes, formatScheme } from '../../lambda/common/signature';
import { CliError, type CliIo } from '../command';
import { settingHint } from '../hints';
import {
  explainAwsError,
  quarantineQueueUrl,
  resolveStackContext,
  type StackContext,
  type StackOptions,
} from '../stack-context';

/** `calibrate --from-quarantine`: the scheme search over requests the stack rejected. */

export interface QuarantineCalibration {
  /** Also the flags of the command printed with the result. */
  readonly stack: StackOptions;
  /** A public key file; else `keyUrl`; else the local simulator's key or Volt's key URL. */
  readonly keyFile?: string;
  readonly keyUrl?: string;
  /** At most this many quarantined requests are read. */
  readonly max: number;
  readonly json: boolean;
}

async function loadKeys(
  ctx: StackContext,
  options: QuarantineCalibration,
): Promise<{ keys: KeyObject[]; from: string }> {
  try {
    if (options.keyFile !== undefined)
      return {
        keys: parsePublicKeyDocument(readFileSync(options.keyFile, 'utf8'), options.keyFile),
        from: options.keyFile,
      };
    const signingKeyFile = ctx.local?.signingKeyFile;
    if (options.keyUrl === undefined && ctx.kind === 'local' && signingKeyFile !== undefined) {
      return { keys: [createPublicKey(readFileSync(signingKeyFile, 'utf8'))], from: signingKeyFile };
    }
    const url = options.keyUrl ?? DEFAULT_VOLT_PUBLIC_KEY_URL;
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new CliError(`${url} answered HTTP ${res.status}`);
    return { keys: parsePublicKeyDocument(await res.text(), url), from: url };
  } catch (err: unknown) {
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot load the public key: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Reads up to `max` quarantined requests without deleting them (they expire on their own). */
async function receiveQuarantined(ctx: StackContext, queueUrl: string, max: number): Promise<string[]> {
  const sqs = new SQSClient({ ...ctx.sqs });
  const bodies = new Map<string, string>();
  try {
    for (let round = 0; round < 5 && bodies.size < max; round++) {
      const { Messages } = await sqs.send(
        // Visibility 0: the messages stay where they are for the next look.
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max - bodies.size),
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
        }),
      );
      if (!Messages || Messages.length === 0) break;
      let fresh = 0;
      for (const m of Messages) {
        if (m.MessageId && m.Body !== undefined && !bodies.has(m.MessageId)) {
          bodies.set(m.MessageId, m.Body);
          fresh++;
        }
      }
      if (fresh === 0) break;
    }
  } catch (err: unknown) {
    throw explainAwsError(err, ctx);
  } finally {
    sqs.destroy();
  }
  return [...bodies.values()].slice(0, max);
}

export async function calibrateFromQuarantine(options: QuarantineCalibration, io: CliIo): Promise<number> {
  const ctx = await resolveStackContext(options.stack);
  const queueUrl = quarantineQueueUrl(ctx);
  if (!queueUrl)
    throw new CliError(
      `${ctx.kind === 'local' ? ctx.source : `stack "${ctx.source}"`} has no quarantine queue: redeploy (or restart the local stack) with this version`,
    );
  const { keys, from } = await loadKeys(ctx, options);
  const bodies = await receiveQuarantined(ctx, queueUrl, options.max);
  const parsed = bodies.map((text) => {
    try {
      const record = parseQuarantineRecord(text);
      const body = Buffer.from(record.bodyBase64, 'base64');
      const matches =
        record.signature !== undefined && !record.truncated
          ? findMatchingSchemes(body, record.signature, keys).map(formatScheme)
          : [];
      return {
        receivedAt: record.receivedAt,
        reason: record.reason,
        bodyBytes: record.bodyBytes,
        truncated: record.truncated,
        hasSignature: record.signature !== undefined,
        probe: record.probe !== undefined,
        matchingSchemes: matches,
      };
    } catch (err: unknown) {
      return { error: err instanceof Error ? err.message : String(err), matchingSchemes: [] as string[] };
    }
  });
  // Volt's registration probe first: it surely came from Volt, where any other rejected request may be anyone's.
  const results = [
    ...parsed.filter((r) => 'probe' in r && r.probe),
    ...parsed.filter((r) => !('probe' in r && r.probe)),
  ];
  const anyMatch = results.some((r) => r.matchingSchemes.length > 0);
  if (options.json) {
    io.out(JSON.stringify({ keys: keys.length, keySource: from, requests: results }, null, 2));
    return anyMatch ? 0 : 1;
  }
  if (results.length === 0) {
    io.out('The quarantine is empty: no request was rejected recently (records are kept one day).');
    return 1;
  }
  io.out(`${results.length} quarantined request(s), tried against ${keys.length} key(s) from ${from}:`);
  for (const r of results) {
    if ('error' in r) {
      io.out(`  unreadable record: ${r.error}`);
      continue;
    }
    const what = `${r.receivedAt}  ${r.probe ? "Volt's registration probe" : r.reason}  ${r.bodyBytes} bytes`;
    if (r.matchingSchemes.length > 0) io.out(`  ${what}: verifies with ${r.matchingSchemes.join(', ')}`);
    else if (!r.hasSignature) io.out(`  ${what}: no signature header`);
    else if (r.truncated) io.out(`  ${what}: body was truncated, cannot be verified`);
    else io.out(`  ${what}: no scheme verifies (not signed by this key)`);
  }
  const schemes = [...new Set(results.flatMap((r) => r.matchingSchemes))];
  if (schemes[0] !== undefined) io.out(settingHint({ signatureScheme: schemes[0] }, options.stack));
  return anyMatch ? 0 : 1;
}
