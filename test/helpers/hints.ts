import { spawn, spawnSync } from 'node:child_process';

/**
 * Finding the command lines in what the project prints (the `npm start` banner, the CLI's
 * output, the README) and running them as a user pasting them would: `sh -c <line>`.
 */

/** Where a printed command line starts: the CLI, the AWS CLI (with or without its variables), npm, the CDK CLI. */
const COMMAND_START =
  /(?:npx volt-webhooks |AWS_ACCESS_KEY_ID=\S+ (?:AWS_SECRET_ACCESS_KEY=\S+ )?aws |\baws --|npm start\b|npm run \w|npx cdk )/;

/** The command lines in `text`: from a command's start to the end of its line, or to the closing backtick when it is quoted in one. */
export function extractHints(text: string): string[] {
  const hints: string[] = [];
  for (const line of text.split('\n')) {
    const match = COMMAND_START.exec(line);
    if (!match) continue;
    const start = match.index;
    const quoted = line[start - 1] === '`';
    const end = quoted ? line.indexOf('`', start) : -1;
    hints.push((end >= 0 ? line.slice(start, end) : line.slice(start)).trim());
  }
  return hints;
}

/**
 * The shell lines of the fenced `sh` blocks under a Markdown heading (up to the next heading of
 * the same or a higher level), with `\` continuations joined and `#` comments dropped.
 */
export function shellLinesUnder(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => l.trim() === heading);
  if (at < 0) throw new Error(`no heading ${heading}`);
  const level = /^#+/.exec(heading)?.[0].length ?? 1;
  const section: string[] = [];
  for (const line of lines.slice(at + 1)) {
    const h = /^(#+) /.exec(line);
    if (h && (h[1]?.length ?? 0) <= level) break;
    section.push(line);
  }
  const commands: string[] = [];
  let fence: 'none' | 'sh' | 'other' = 'none';
  let pending = '';
  for (const line of section) {
    if (line.trim().startsWith('```')) {
      fence = fence !== 'none' ? 'none' : line.trim() === '```sh' ? 'sh' : 'other';
      continue;
    }
    if (fence !== 'sh') continue;
    const continued = /\\\s*$/.test(line.replace(/\s+#[^'"]*$/, ''));
    pending += `${line
      .replace(/\s+#[^'"]*$/, '')
      .replace(/\\\s*$/, '')
      .trim()} `;
    if (continued) continue;
    const command = pending.replace(/\s+/g, ' ').trim();
    pending = '';
    if (command !== '' && !command.startsWith('#')) commands.push(command);
  }
  return commands;
}

export interface HintRun {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one printed line in a shell, as pasted. */
export function runHint(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<HintRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** Whether the AWS CLI is on this machine: the `aws` hints run only where it is (a user's fresh machine may lack it). */
export function hasAwsCli(): boolean {
  const result = spawnSync('aws', ['--version'], { stdio: 'ignore' });
  return result.status === 0;
}

/** Splits a command line into words as a POSIX shell would for the quoting hints use (single and double quotes, no expansions). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: "'" | '"' | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}
