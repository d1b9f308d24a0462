/**
 * Command lines the project prints for the user to paste: the `npm start` banner, `send`'s
 * follow-up, `doctor`'s advice, `calibrate`'s result. They are built here, so each names the
 * CLI one way and carries what it needs to run as printed (the stack it is about; for the AWS
 * CLI the region, the endpoint and dummy credentials). test/integration/local/start.test.ts runs
 * them against a local stack. It loads no SDK, so the CLI and `local/` both import it.
 */
import { MESSAGE_ID_ATTRIBUTE } from '../lambda/common/message-table';

/** How every printed command names the CLI: it works in a clone after `npm ci` and where the package is installed. */
export const CLI_COMMAND = 'npx volt-webhooks';

/** The placeholder a hint holds where the user puts a message id (printed by `send`). */
export const MESSAGE_ID_PLACEHOLDER = '<messageId>';

/** Characters a POSIX shell reads literally in an unquoted word. */
const PLAIN_WORD = /^[\w@%+=:,./-]+$/;

/** One shell word: as is when nothing in it is special to the shell, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && PLAIN_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Which stack a command was pointed at, so that a suggested command reaches the same one. */
export interface StackSelection {
  readonly local?: boolean;
  /** `--local-file`, as the user gave it (relative to where they run commands). */
  readonly localFile?: string;
  readonly stack?: string;
  readonly region?: string;
}

/** The flags that select `selection` again. */
export function stackFlags(selection: StackSelection = {}): string[] {
  if (selection.localFile !== undefined) return ['--local-file', selection.localFile];
  if (selection.local) return ['--local'];
  return [
    ...(selection.stack !== undefined ? ['--stack', selection.stack] : []),
    ...(selection.region !== undefined ? ['--region', selection.region] : []),
  ];
}

/** Joins words into a command line, quoting each as needed; a placeholder like `<messageId>` stays bare. */
function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^<[\w .]+>$/.test(w) ? w : shellQuote(w))).join(' ');
}

/** `npx volt-webhooks <args...>` with the flags that reach the same stack. */
export function cliHint(args: readonly string[], selection?: StackSelection): string {
  return `${CLI_COMMAND} ${commandLine([...args, ...stackFlags(selection)])}`;
}

/** Where the local stand-ins listen. */
export interface LocalAwsTarget {
  readonly region: string;
  readonly endpoint: string;
}

/**
 * An AWS CLI command against a local stand-in. It carries everything a machine without an AWS
 * profile needs: dummy credentials (the stand-ins accept any), `--region` and `--endpoint-url`.
 */
export function localAwsHint(target: LocalAwsTarget, args: readonly string[]): string {
  return [
    'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws',
    commandLine(['--region', target.region, '--endpoint-url', target.endpoint, ...args]),
  ].join(' ');
}

/** The key argument of `aws dynamodb get-item` for one message of the messages table. */
export function messageKeyJson(messageId: string): string {
  return JSON.stringify({ [MESSAGE_ID_ATTRIBUTE]: { S: messageId } });
}

/** Where a setting found by a command goes: `cdk deploy` for a deployed stack, a restart for the local one. */
export function settingHint(context: Readonly<Record<string, string>>, selection: StackSelection = {}): string {
  if (selection.local || selection.localFile !== undefined) {
    const flags = Object.entries(context).flatMap(([k, v]) => ['--context', `${k}=${v}`]);
    return `Restart the local stack with: npm start -- ${commandLine(flags)}`;
  }
  const flags = Object.entries({
    ...context,
    ...(selection.stack !== undefined ? { stackName: selection.stack } : {}),
  }).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
  // A comment, so the line still runs when pasted whole: a deploy without the user's other -c options would drop them.
  return `Deploy with: npx cdk deploy ${commandLine(flags)}  # and the -c options you deploy with`;
}
