import { parseArgs } from 'node:util';
import type { CliCommand } from '../command';
import { parseLimit, parseTimeArg, renderMessageList, withMessageQueries } from '../message-queries';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

export const failed: CliCommand = {
  name: 'failed',
  summary: 'list messages whose delivery failed',
  help: `Usage: volt-webhooks failed [--since <time>] [--until <time>] [--limit <n>] [--json]

Lists messages whose current status is a failure (failed, delivery_failed, sending_failed,
expired), newest first, with the error code and the provider's reason.

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
        since: { type: 'string' },
        until: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const range = {
      ...(values.since !== undefined ? { since: parseTimeArg(values.since, '--since') } : {}),
      ...(values.until !== undefined ? { until: parseTimeArg(values.until, '--until') } : {}),
    };
    const limit = parseLimit(values.limit);
    const found = await withMessageQueries(stackOptionsFrom(values), (q) => q.failed(range, limit));
    io.out(values.json ? JSON.stringify(found, null, 2) : renderMessageList(found));
    return 0;
  },
};
