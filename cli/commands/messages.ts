import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command';
import { parseE164, parseLimit, parseTimeArg, renderMessageList, withMessageQueries } from '../message-queries';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

export const messages: CliCommand = {
  name: 'messages',
  summary: 'list the messages exchanged with one phone number',
  help: `Usage: volt-webhooks messages --contact <E.164> [--since <time>] [--until <time>] [--limit <n>] [--json]

Lists messages whose other party is the number (the recipient of outbound messages, the sender
of inbound ones), newest first, by the time of each message's current state.

  --contact <E.164>      the phone number, e.g. +15555550123
  --since <time>         from this time on (inclusive)
  --until <time>         before this time (exclusive)
  --limit <n>            at most this many messages (default 50)
  --json                 print a JSON array

Times: ISO 8601 (2026-05-01, 2026-05-01T12:00:00Z; UTC when no zone is given) or a span before
now (30m, 24h, 7d, 2w).

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        contact: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    if (values.contact === undefined) throw new UsageError('--contact <E.164> is required');
    const contact = parseE164(values.contact);
    const range = {
      ...(values.since !== undefined ? { since: parseTimeArg(values.since, '--since') } : {}),
      ...(values.until !== undefined ? { until: parseTimeArg(values.until, '--until') } : {}),
    };
    const limit = parseLimit(values.limit);
    const found = await withMessageQueries(stackOptionsFrom(values), (q) => q.byContact(contact, range, limit));
    io.out(values.json ? JSON.stringify(found, null, 2) : renderMessageList(found));
    return 0;
  },
};
