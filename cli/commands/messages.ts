import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command';
import {
  parseE164,
  LIST_OPTIONS,
  LIST_OPTIONS_HELP,
  listArgs,
  renderMessageList,
  withMessageQueries,
} from '../message-queries';
import { STACK_OPTIONS, STACK_OPTIONS_HELP, stackOptionsFrom } from '../stack-context';

export const messages: CliCommand = {
  name: 'messages',
  summary: 'list the messages exchanged with one phone number',
  help: `Usage: volt-webhooks messages --contact <E.164> [--since <time>] [--until <time>] [--limit <n>] [--json]

Lists messages whose other party is the number (the recipient of outbound messages, the sender
of inbound ones), newest first, by the time of each message's current state.

  --contact <E.164>      the phone number, e.g. +15555550123
${LIST_OPTIONS_HELP}

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        contact: { type: 'string' },
        ...LIST_OPTIONS,
      },
      strict: true,
    });
    if (values.contact === undefined) throw new UsageError('--contact <E.164> is required');
    const contact = parseE164(values.contact);
    const { range, limit } = listArgs(values);
    const found = await withMessageQueries(stackOptionsFrom(values), (q) => q.byContact(contact, range, limit));
    io.out(values.json ? JSON.stringify(found, null, 2) : renderMessageList(found));
    return 0;
  },
};
