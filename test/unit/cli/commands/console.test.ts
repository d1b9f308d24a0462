import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { consoleCommand } from '../../../../cli/commands/console';
import { main } from '../../../../cli/main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

let dir: string;
let stackFile: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'console-cmd-'));
  mkdirSync(path.join(dir, '.local'));
  stackFile = path.join(dir, '.local', 'stack.json');
  // Nothing answers at these endpoints: the command only has to start and serve its page.
  writeFileSync(
    stackFile,
    JSON.stringify({
      region: 'us-east-1',
      dynamodbEndpoint: 'http://127.0.0.1:9',
      tableName: 'Messages',
      queueUrls: {},
      voltApiUrl: 'http://127.0.0.1:9/graphql',
      voltToken: 't',
      signingKeyFile: '/nonexistent',
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('is listed, and documents its options', async () => {
  const c = capture();
  expect(await main(['--help'], c.io)).toBe(0);
  expect(c.out.join('\n')).toMatch(/^ {2}console +open a local web page/m);
  const help = capture();
  expect(await main(['console', '--help'], help.io)).toBe(0);
  expect(help.out.join('\n')).toContain(
    'Usage: volt-webhooks console [--local | --stack <name> --region <region>] [--port <p>] [--no-open]',
  );
});

test.each([['--port', 'http'], ['--port', '70000'], ['--bogus']])('refuses %s as a usage error', async (...args) => {
  const c = capture();
  expect(await main(['console', ...args], c.io)).toBe(2);
  expect(c.err.join('\n')).toMatch(/^volt-webhooks console: /);
});

test('says to start the local stack when its file is missing', async () => {
  const c = capture();
  expect(await main(['console', '--local-file', path.join(dir, 'none.json'), '--no-open'], c.io)).toBe(1);
  expect(c.err.join('\n')).toMatch(/start the local stack with `npm start`/);
});

test('starts on 127.0.0.1, prints the URL with its token, serves the page with it and not without', async () => {
  const c = capture();
  let seen: { withToken: number; without: number; page: string } | undefined;
  const command = consoleCommand({
    running: async (server) => {
      const first = await fetch(server.openUrl, { redirect: 'manual' });
      const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const page = await fetch(server.url, { headers: { cookie } });
      seen = { withToken: page.status, without: (await fetch(server.url)).status, page: await page.text() };
    },
  });
  expect(await command.run(['--local-file', stackFile, '--no-open'], c.io)).toBe(0);
  const line = c.out.join('\n');
  expect(line).toMatch(
    /Console for the local stack \(.*stack\.json\): http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}/,
  );
  expect(seen).toMatchObject({ withToken: 200, without: 401 });
  expect(seen?.page).toContain('<script type="module" src="/console.js"></script>');
});
