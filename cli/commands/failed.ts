import { parseArgs } from 'node:util';
import type { CliCommand } from '../command';
import { LIST_OPTIONS, LIST_OPTIONS_HELP, listArgs, renderMessageList, withMessageQueries } from '../message-queries';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

export const failed: CliCommand = {
  name: 'failed',
  summary: 'list messages whose delivery failed',
  help: `Usage: volt-webhooks failed [--since <time>] [--until <time>] [--limit <n>] [--json]

Lists messages whose current status is a failure (failed, delivery_failed, sending_failed,
expired), newest first, with the error code and the provider's reason.

${LIST_OPTIONS_HELP}

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        ...LIST_OPTIONS,
      },
      strict: true,
    });
    const { range, limit } = listArgs(values);
    const found = await withMessageQueries(stackOptionsFrom(values), (q) => q.failed(range, limit));
    io.out(values.json ? JSON.stringify(found, null, 2) : renderMessageList(found));
    return 0;
  },
};
