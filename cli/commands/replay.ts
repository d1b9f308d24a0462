import { parseArgs } from 'node:util';
import { ConfigurationError } from '../../lambda/common/errors';
import { DEFAULT_SCHEME, formatScheme, parseScheme, type SignatureScheme } from '../../lambda/common/signature';
import { UsageError, type CliCommand } from '../command';
import { DEFAULT_PROGRESS_DIR } from '../replay/progress';
import { runReplay } from '../replay/run';
import { parseWindow } from '../replay/window';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

function schemeOf(name: string): SignatureScheme {
  try {
    return parseScheme(name);
  } catch (err: unknown) {
    if (err instanceof ConfigurationError) throw new UsageError(`--scheme: ${err.message}`);
    throw err;
  }
}

export const replay: CliCommand = {
  name: 'replay',
  summary: 'send a time window of archived deliveries again, to the state queue or a subscriber',
  help: `Usage: volt-webhooks replay --since <time> --until <time> --to state|<subscriber>|<queue URL>
                            [--event-types <type,...>] [--dry-run] [--no-verify] [--local | --stack <name>]

Reads the deliveries the stack archived (docs/archive.md) that were received in [--since, --until),
checks each one's signature over its archived bytes again with the stack's trusted keys, and
sends each event once to the target queue as the ingest did (same body, same message attributes,
the original receivedAt), plus one attribute, replayed=<this replay's id>: the consumer does not
archive a replayed delivery again, and a subscriber can tell a replayed message from a live one.
Deliveries that do not verify, or whose fields do not match their signed body, are refused and
listed. Replaying into the state queue is harmless: the state rules dedupe by webhook id;
subscribers dedupe on webhookId (README, "Subscribing").

A progress record (one file per stack, archive, window, event types and target) lists what
was sent; run the same command again after an interruption (Ctrl-C, a failure) and it sends
only the rest. A window already done is not sent again unless --restart is given.

  --since <time>         start of the window, inclusive: ISO 8601 with a zone (2026-11-29T10:00:00Z)
                         or a date (2026-11-29, midnight UTC)
  --until <time>         end of the window, exclusive; same format
  --to <target>          state, a subscriber's name, or the URL of any SQS queue; a subscriber
                         with eventTypes gets only those (its Subscriber<Name>EventTypes output)
  --event-types <types>  only these event types, comma-separated (e.g. message.finalized)
  --dry-run              read and verify, print what would be sent; send and record nothing
  --no-verify            do not check signatures (fields are still checked against the body)
  --public-key <file>    trust the keys in this file (ssh-rsa lines, PEM, JWK or JWK set)
  --key-url <url>        trust the keys served at this URL
                         Default keys: with --local the local stack's signing key; for a deployed
                         stack what its ingest trusts (its pinned keys, else its key URL, read from
                         the deployed template with cloudformation:GetTemplate)
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

    return runReplay(
      {
        stack: stackOptionsFrom(values),
        window,
        to: values.to,
        dryRun: values['dry-run'],
        noVerify: values['no-verify'],
        ...(values['public-key'] !== undefined ? { publicKeyFile: values['public-key'] } : {}),
        ...(values['key-url'] !== undefined ? { keyUrl: values['key-url'] } : {}),
        ...(schemeFlag !== undefined ? { scheme: schemeFlag } : {}),
        progressDir: values['progress-dir'],
        restart: values.restart,
        json: values.json,
      },
      io,
    );
  },
};
