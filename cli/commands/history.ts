import { HISTORY_LIMIT } from '../../lambda/consumer/state-rules';
import type { CliCommand } from '../command';
import { cell, historyOf, readOneMessage, renderTable } from '../message-queries';
import { STACK_OPTIONS_HELP } from '../stack-context';

export const history: CliCommand = {
  name: 'history',
  summary: 'list every distinct event seen for a message',
  help: `Usage: volt-webhooks history <messageId> [--json] [--local | --stack <name> --region <region>]

Lists the distinct webhook events recorded for the message, oldest first by the time they
occurred (they may have arrived in another order), and marks the one that defines the current
status. Duplicated deliveries appear once.

  --json                 print {messageId, status, history: [...]} as JSON

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { messageId, view, json } = await readOneMessage(argv);
    const entries = historyOf(view);
    // The item's webhookId is the event that defines its current state.
    const current = (e: (typeof entries)[number]) => e.webhookId === view.webhookId;
    if (json) {
      io.out(JSON.stringify({ messageId, status: view.status ?? null, history: entries }, null, 2));
      return 0;
    }
    io.out(
      renderTable(
        ['OCCURRED AT', 'EVENT TYPE', 'STATUS', 'WEBHOOK ID', ''],
        entries.map((e) => [
          cell(e.occurredAt),
          cell(e.eventType),
          cell(e.status),
          cell(e.webhookId, 80),
          current(e) ? '<- current' : '',
        ]),
      ),
    );
    if (entries.length >= HISTORY_LIMIT)
      io.out(
        `(history holds ${entries.length} events, at or over its limit of ${HISTORY_LIMIT}: later stale events are not recorded)`,
      );
    return 0;
  },
};
