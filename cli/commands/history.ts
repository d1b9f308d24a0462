import { HISTORY_DROPPED_ATTRIBUTE, HISTORY_LIMIT, STATE_HISTORY_LIMIT } from '../../lambda/consumer/state-rules';
import type { CliCommand } from '../command';
import { cell, historyOf, readOneMessage, renderTable } from '../message-queries';
import { STACK_OPTIONS_HELP } from '../stack-context';

export const history: CliCommand = {
  name: 'history',
  summary: 'list every distinct event seen for a message',
  help: `Usage: volt-webhooks history <messageId> [--json] [--local | --stack <name> --region <region>]

Lists the distinct webhook events recorded for the message, oldest first by the time they
occurred (they may have arrived in another order); the CURRENT column marks the one that
defines the current status. Duplicated deliveries appear once. When the history is full, later events are left out
of it: the output says so, with the count of status changes applied without an entry.

  --json                 print {messageId, status, history: [...]} as JSON (and historyDropped
                         when status changes were applied without a history entry)

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { messageId, view, json } = await readOneMessage(argv);
    const entries = historyOf(view);
    // The item's webhookId is the event that defines its current state.
    const current = (e: (typeof entries)[number]) => e.webhookId === view.webhookId;
    if (json) {
      const dropped = view[HISTORY_DROPPED_ATTRIBUTE];
      io.out(
        JSON.stringify(
          { messageId, status: view.status ?? null, history: entries, ...(dropped ? { historyDropped: dropped } : {}) },
          null,
          2,
        ),
      );
      return 0;
    }
    io.out(
      renderTable(
        ['OCCURRED AT', 'EVENT TYPE', 'STATUS', 'WEBHOOK ID', 'CURRENT'],
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
        `(history holds ${entries.length} events, at or over its limit of ${HISTORY_LIMIT}: later stale or unknown-type events are not recorded)`,
      );
    const dropped = view[HISTORY_DROPPED_ATTRIBUTE];
    if (typeof dropped === 'number' && dropped > 0)
      io.out(
        `(${dropped} later status change${dropped === 1 ? ' was' : 's were'} applied without a history entry: the history was full at ${STATE_HISTORY_LIMIT})`,
      );
    return 0;
  },
};
