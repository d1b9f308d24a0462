import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describeStackAlarms, queueDepth } from '../pipeline-health';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseTokenSecret } from '../../lambda/registration/token';
import { DEFAULT_VOLT_API_URL, VoltClient, VoltUnauthorizedError } from '../../lambda/registration/volt-api';
import { DEFAULT_VOLT_PUBLIC_KEY_URL } from '../../lambda/common/key-ring';
import { parsePublicKeyDocument } from '../../lambda/common/keys';
import { SELF_CHECK_BODY, SELF_CHECK_HEADER } from '../../lambda/common/registration-window';
import { queueOutputIds, STACK_OUTPUTS, STATE_QUEUE_OUTPUT_PREFIX } from '../../lib/stack-outputs';
import { QUARANTINE_QUEUE_ROLE } from '../../lib/template-contract';
import type { CliCommand, CliIo } from '../command';
import { CliError, UsageError } from '../command';
import { cliHint } from '../hints';
import {
  explainAwsError,
  quarantineQueueUrl,
  resolveStackContext,
  selectionOf,
  STACK_OPTIONS,
  STACK_OPTIONS_HELP,
  stackOptionsFrom,
  type StackContext,
} from '../stack-context';
import { checkLastWebhook } from './last-webhook';
import { queuePairs } from './redrive';

/** `skip`: the check could not run here (no token, no CloudWatch locally); it does not fail the run. */
export type CheckStatus = 'ok' | 'FAIL' | 'skip';

export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly reason: string;
}

const STATE_OUTPUTS = queueOutputIds(STATE_QUEUE_OUTPUT_PREFIX);

/** Outputs every command relies on. */
const REQUIRED_OUTPUTS = [
  STACK_OUTPUTS.webhookUrl,
  STATE_OUTPUTS.queueUrl,
  STATE_OUTPUTS.dlqUrl,
  STACK_OUTPUTS.tableName,
] as const;

const TOKEN_ENV_DEFAULT = 'VOLT_API_TOKEN';

function message(err: unknown): string {
  const explained = explainAwsError(err);
  if (explained instanceof CliError) return explained.message;
  return err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
}

export interface DoctorOptions {
  readonly apiUrl?: string;
  readonly tokenEnv?: string;
  readonly tokenSecret?: string;
  readonly keyUrl?: string;
  readonly keyFile?: string;
  readonly timeoutMs: number;
}

async function apiToken(ctx: StackContext, options: DoctorOptions): Promise<{ token?: string; from: string }> {
  if (options.tokenSecret !== undefined) {
    const client = new SecretsManagerClient(ctx.region ? { region: ctx.region } : {});
    try {
      const secret = await client.send(new GetSecretValueCommand({ SecretId: options.tokenSecret }));
      return {
        token: parseTokenSecret(secret.SecretString, options.tokenSecret),
        from: `secret ${options.tokenSecret}`,
      };
    } finally {
      client.destroy();
    }
  }
  const envName = options.tokenEnv ?? TOKEN_ENV_DEFAULT;
  const fromEnv = process.env[envName]?.trim();
  if (fromEnv) return { token: fromEnv, from: `$${envName}` };
  const localToken = ctx.local?.voltToken;
  if (ctx.kind === 'local' && localToken !== undefined) return { token: localToken, from: 'the local stack file' };
  return { from: `$${envName}` };
}

async function checkRegistration(ctx: StackContext, options: DoctorOptions): Promise<CheckResult> {
  const check = 'registration';
  const webhookUrl = ctx.outputs[STACK_OUTPUTS.webhookUrl];
  if (!webhookUrl) return { check, status: 'FAIL', reason: `no ${STACK_OUTPUTS.webhookUrl} output to look for` };
  const localApiUrl = ctx.kind === 'local' ? ctx.local?.voltApiUrl : undefined;
  const apiUrl = options.apiUrl ?? localApiUrl ?? DEFAULT_VOLT_API_URL;
  let token: string | undefined;
  let from: string;
  try {
    ({ token, from } = await apiToken(ctx, options));
  } catch (err: unknown) {
    return { check, status: 'FAIL', reason: `cannot read the API token: ${message(err)}` };
  }
  if (!token)
    return {
      check,
      status: 'skip',
      reason: `no API token in ${from}: pass --token-env <VAR> or --token-secret <name> to check it`,
    };
  const volt = new VoltClient({ apiUrl, token, retry: { maxAttempts: 2, requestTimeoutMs: options.timeoutMs } });
  try {
    const hooks = await volt.listWebhooks();
    const mine = hooks.filter((h) => h.url === webhookUrl);
    const expectedId = ctx.outputs[STACK_OUTPUTS.voltWebhookId];
    if (mine.length === 0) {
      const others = hooks.map((h) => h.url).join(', ') || 'none';
      return {
        check,
        status: 'FAIL',
        reason: `Volt has no webhook for ${webhookUrl} (registered: ${others}); redeploy with -c voltApiTokenSecret=... or register it`,
      };
    }
    if (expectedId && !mine.some((h) => h.id === expectedId)) {
      return {
        check,
        status: 'FAIL',
        reason: `Volt's webhook for this URL is ${mine.map((h) => h.id).join(', ')}, not the stack's VoltWebhookId ${expectedId}: redeploy to reconcile`,
      };
    }
    return { check, status: 'ok', reason: `Volt sends to ${webhookUrl} (webhook ${mine.map((h) => h.id).join(', ')})` };
  } catch (err: unknown) {
    if (err instanceof VoltUnauthorizedError)
      return { check, status: 'FAIL', reason: `Volt refused the API token from ${from}: check or rotate it` };
    return { check, status: 'FAIL', reason: `cannot list webhooks at ${apiUrl}: ${message(err)}` };
  }
}

async function checkKey(ctx: StackContext, options: DoctorOptions): Promise<CheckResult> {
  const check = 'signing key';
  const signingKeyFile = ctx.local?.signingKeyFile;
  try {
    if (options.keyFile !== undefined) {
      const keys = parsePublicKeyDocument(readFileSync(options.keyFile, 'utf8'), options.keyFile);
      return { check, status: 'ok', reason: `${keys.length} pinned key(s) in ${options.keyFile} parse` };
    }
    if (ctx.kind === 'local' && options.keyUrl === undefined) {
      if (signingKeyFile === undefined)
        return { check, status: 'FAIL', reason: 'the local stack file names no signingKeyFile' };
      const key = createPrivateKey(readFileSync(signingKeyFile, 'utf8'));
      return {
        check,
        status: 'ok',
        reason: `the simulator's key ${signingKeyFile} (${key.asymmetricKeyType}, ${key.asymmetricKeyDetails?.modulusLength ?? '?'} bits) is pinned`,
      };
    }
    const url = options.keyUrl ?? DEFAULT_VOLT_PUBLIC_KEY_URL;
    const res = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs) });
    if (!res.ok)
      return {
        check,
        status: 'FAIL',
        reason: `${url} answered HTTP ${res.status}: the ingest cannot fetch its key (pin keys with -c voltPublicKeys=...)`,
      };
    const keys = parsePublicKeyDocument(await res.text(), url);
    return { check, status: 'ok', reason: `${url} serves ${keys.length} RSA key(s) that parse` };
  } catch (err: unknown) {
    return { check, status: 'FAIL', reason: message(err) };
  }
}

/**
 * What the signature of Volt's registration test request was (the `VoltProbeSignature` output):
 * a probe that did not verify with the configured scheme means real deliveries will not either.
 */
function checkProbe(ctx: StackContext): CheckResult {
  const check = 'volt probe';
  const probe = ctx.outputs[STACK_OUTPUTS.voltProbeSignature];
  if (probe === undefined)
    return { check, status: 'skip', reason: `no ${STACK_OUTPUTS.voltProbeSignature} output (no registration)` };
  if (probe.startsWith('unsigned'))
    return { check, status: 'ok', reason: `${probe}: says nothing about how deliveries are signed` };
  return probe.startsWith('did not verify')
    ? {
        check,
        status: 'FAIL',
        reason: `${probe}: look with \`${cliHint(['calibrate', '--from-quarantine'], selectionOf(ctx))}\``,
      }
    : { check, status: 'ok', reason: probe };
}

/** An unsigned POST must come back 401: proves the route, the function and verification all answer. */
async function checkEndpoint(ctx: StackContext, options: DoctorOptions): Promise<CheckResult> {
  const check = 'webhook endpoint';
  const url = ctx.outputs[STACK_OUTPUTS.webhookUrl];
  if (!url) return { check, status: 'FAIL', reason: `no ${STACK_OUTPUTS.webhookUrl} output` };
  try {
    const res = await fetch(url, {
      method: 'POST',
      // Marked as ours: the ingest still answers 401, but keeps it out of the quarantine and its warnings.
      headers: { 'content-type': 'application/json', [SELF_CHECK_HEADER]: 'doctor' },
      body: SELF_CHECK_BODY,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (res.status === 401) return { check, status: 'ok', reason: `${url} refuses an unsigned request (401)` };
    if (res.status >= 200 && res.status < 300)
      return {
        check,
        status: 'FAIL',
        reason: `${url} ACCEPTED an unsigned request (${res.status}): signature verification is off`,
      };
    return { check, status: 'FAIL', reason: `${url} answered ${res.status} to an unsigned request, expected 401` };
  } catch (err: unknown) {
    return { check, status: 'FAIL', reason: `${url} does not answer: ${message(err)}` };
  }
}

async function checkQueues(ctx: StackContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const sqs = new SQSClient({ ...ctx.sqs });
  const selection = selectionOf(ctx);
  try {
    const pairs = queuePairs(ctx);
    if (pairs.length === 0)
      return [{ check: 'queues', status: 'FAIL', reason: 'the stack describes no queue with a DLQ' }];
    for (const pair of pairs) {
      const check = `queue ${pair.name}`;
      try {
        const queue = await queueDepth(sqs, pair.queueUrl);
        const dlq = await queueDepth(sqs, pair.dlqUrl);
        const dead = dlq.waiting + dlq.inFlight;
        if (dead > 0) {
          const reading = dlq.inFlight > 0 ? ` (${dlq.inFlight} being read now)` : '';
          results.push({
            check,
            status: 'FAIL',
            reason: `${dead} message(s) in its DLQ${reading}: fix the cause, then \`${cliHint(['redrive', '--queue', pair.queueArg], selection)}\``,
          });
        } else {
          // In-flight messages are being processed, not waiting: counting them as queued reads as a backlog.
          results.push({
            check,
            status: 'ok',
            reason: `reachable, ${queue.waiting} message(s) waiting, ${queue.inFlight} in flight (received, not yet deleted), DLQ empty`,
          });
        }
      } catch (err: unknown) {
        results.push({ check, status: 'FAIL', reason: `not reachable: ${message(err)}` });
      }
    }
    const quarantineUrl = quarantineQueueUrl(ctx);
    if (quarantineUrl) {
      try {
        const kept = await queueDepth(sqs, quarantineUrl);
        const n = kept.waiting + kept.inFlight;
        const hint = n > 0 ? `: look with \`${cliHint(['calibrate', '--from-quarantine'], selection)}\`` : '';
        results.push({ check: 'quarantine', status: 'ok', reason: `reachable, ${n} rejected request(s) kept${hint}` });
      } catch (err: unknown) {
        results.push({ check: 'quarantine', status: 'FAIL', reason: `not reachable: ${message(err)}` });
      }
    }
  } finally {
    sqs.destroy();
  }
  return results;
}

async function checkAlarms(ctx: StackContext): Promise<CheckResult> {
  const check = 'alarms';
  if (ctx.kind === 'local') return { check, status: 'skip', reason: 'CloudWatch has no local stand-in' };
  try {
    const alarms = await describeStackAlarms(ctx);
    if (alarms.length === 0)
      return { check, status: 'skip', reason: `no alarm named ${ctx.source}-*: deploy a version with alarms` };
    const firing = alarms.filter((a) => a.state === 'ALARM');
    if (firing.length > 0) {
      return {
        check,
        status: 'FAIL',
        reason: `${firing.length} of ${alarms.length} in ALARM: ${firing.map((a) => `${a.name} (${a.reason ?? 'no reason'})`).join('; ')}`,
      };
    }
    return { check, status: 'ok', reason: `${alarms.length} alarm(s), none in ALARM` };
  } catch (err: unknown) {
    return { check, status: 'FAIL', reason: `cannot describe alarms: ${message(err)}` };
  }
}

/** Runs every check; never throws for what it finds, only reports it. */
export async function runDoctor(ctx: StackContext, options: DoctorOptions): Promise<CheckResult[]> {
  const missing = REQUIRED_OUTPUTS.filter((k) => !ctx.outputs[k]);
  const results: CheckResult[] = [
    missing.length > 0
      ? {
          check: 'stack outputs',
          status: 'FAIL',
          reason: `missing ${missing.join(', ')}: redeploy (or restart the local stack) with this version`,
        }
      : {
          check: 'stack outputs',
          status: 'ok',
          reason: `${REQUIRED_OUTPUTS.join(', ')} present${ctx.outputs[STACK_OUTPUTS.quarantineQueueUrl] || ctx.local?.queueUrls?.[QUARANTINE_QUEUE_ROLE] ? ', with a quarantine' : ''}`,
        },
  ];
  results.push(await checkRegistration(ctx, options));
  results.push(checkProbe(ctx));
  results.push(await checkKey(ctx, options));
  results.push(await checkEndpoint(ctx, options));
  results.push(...(await checkQueues(ctx)));
  results.push(await checkLastWebhook(ctx));
  results.push(await checkAlarms(ctx));
  return results;
}

function render(results: readonly CheckResult[], io: CliIo): void {
  const width = Math.max(...results.map((r) => r.check.length));
  for (const r of results) io.out(`${r.status.padEnd(4)}  ${r.check.padEnd(width)}  ${r.reason}`);
}

export const doctor: CliCommand = {
  name: 'doctor',
  summary: 'check a deployed (or the local) stack end to end and say what is wrong',
  help: `Usage: volt-webhooks doctor [--local | --stack <name>] [--token-env <VAR> | --token-secret <name>]
                            [--api-url <url>] [--key-url <url> | --key <file>] [--json]

Checks, each printed as ok, FAIL or skip with a one-line reason:
  stack outputs      WebhookUrl, the state queue and its DLQ, the table
  registration       Volt has a webhook for this stack's WebhookUrl (needs the API token)
  volt probe         whether Volt's registration test request verified with the configured scheme
                     (the VoltProbeSignature output; FAIL when it was signed and did not verify)
  signing key        the key URL answers with RSA keys that parse (or --key parses; locally the simulator's key)
  webhook endpoint   an unsigned POST to WebhookUrl is refused with 401 (marked as doctor's own, so
                     it is not quarantined)
  queue <name>       each queue answers (messages waiting, and in flight: received, not yet
                     deleted) and its DLQ is empty; the quarantine answers
  last webhook       when a webhook was last accepted: the state queue's NumberOfMessagesSent in
                     CloudWatch (last 14 days); locally the table's newest updatedAt
Advice is printed as a command line to paste, with the flags that reach the same stack.
  alarms             none of the stack's CloudWatch alarms is in ALARM (skipped locally)

  --token-env <VAR>      read the Volt API token from this variable (default ${TOKEN_ENV_DEFAULT});
                         locally the token in the local stack file is used
  --token-secret <name>  read it from this Secrets Manager secret
  --api-url <url>        Volt's GraphQL endpoint (default ${DEFAULT_VOLT_API_URL}; locally the simulator)
  --key-url <url>        the key URL the stack fetches (default ${DEFAULT_VOLT_PUBLIC_KEY_URL})
  --key <file>           check these pinned keys instead of fetching
  --timeout <seconds>    per network check (default 10)
  --json                 print the results as JSON

Exit code 0 when nothing failed, 1 otherwise.

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        'token-env': { type: 'string' },
        'token-secret': { type: 'string' },
        'api-url': { type: 'string' },
        'key-url': { type: 'string' },
        key: { type: 'string' },
        timeout: { type: 'string', default: '10' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const timeoutMs = Number(values.timeout) * 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new UsageError('--timeout must be a positive number of seconds');
    let ctx: StackContext;
    try {
      ctx = await resolveStackContext(stackOptionsFrom(values));
    } catch (err: unknown) {
      if (err instanceof UsageError) throw err;
      const result: CheckResult = { check: 'stack', status: 'FAIL', reason: message(err) };
      if (values.json) io.out(JSON.stringify([result], null, 2));
      else render([result], io);
      return 1;
    }
    const results = await runDoctor(ctx, {
      timeoutMs,
      ...(values['api-url'] !== undefined ? { apiUrl: values['api-url'] } : {}),
      ...(values['token-env'] !== undefined ? { tokenEnv: values['token-env'] } : {}),
      ...(values['token-secret'] !== undefined ? { tokenSecret: values['token-secret'] } : {}),
      ...(values['key-url'] !== undefined ? { keyUrl: values['key-url'] } : {}),
      ...(values.key !== undefined ? { keyFile: values.key } : {}),
    });
    const failed = results.filter((r) => r.status === 'FAIL').length;
    if (values.json) {
      io.out(JSON.stringify(results, null, 2));
    } else {
      render(results, io);
      io.out(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
    }
    return failed === 0 ? 0 : 1;
  },
};
