import type { CliCommand } from '../command';
import { cell, historyOf, readOneMessage, type MessageView } from '../message-queries';
import { STACK_OPTIONS_HELP } from '../stack-context';

/** The fields `status` prints, in order, with their labels. */
const FIELDS: readonly [string, string][] = [
  ['messageId', 'Message id'],
  ['status', 'Status'],
  ['eventType', 'Defined by'],
  ['webhookId', 'Webhook id'],
  ['occurredAt', 'Occurred at'],
  ['updatedAt', 'Updated at'],
  ['direction', 'Direction'],
  ['fromNumber', 'From'],
  ['toNumber', 'To'],
  ['messageAppId', 'Message app id'],
  ['messageType', 'Type'],
  ['parts', 'Parts'],
  ['encoding', 'Encoding'],
  ['text', 'Text'],
  ['errorCode', 'Error code'],
  ['providerErrorCode', 'Provider error code'],
  ['providerErrorTitle', 'Provider error'],
  ['providerErrorDetail', 'Provider error detail'],
  ['carrierName', 'Carrier'],
  ['expiresAt', 'Expires at (epoch s)'],
];

export function renderStatus(view: MessageView): string {
  const rows = FIELDS.filter(([key]) => view[key] !== undefined && view[key] !== null).map(
    ([key, label]) => [label, cell(view[key], 200)] as const,
  );
  const media = Array.isArray(view.media) ? view.media.length : 0;
  if (media > 0) rows.push(['Media', `${media} attachment(s)`]);
  rows.push(['Events seen', String(historyOf(view).length)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join('\n');
}

export const status: CliCommand = {
  name: 'status',
  summary: "show a message's current state",
  help: `Usage: volt-webhooks status <messageId> [--json] [--local | --stack <name> --region <region>]

Prints the message's current status (the latest, highest-ranked event applied), its numbers,
text and failure details. The message id is Volt's payload.id (rf_...) for outbound messages
and payload.message_app_id for inbound ones.

  --json                 print the stored item as JSON

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { view, json } = await readOneMessage(argv);
    io.out(json ? JSON.stringify(view, null, 2) : renderStatus(view));
    return 0;
  },
};
