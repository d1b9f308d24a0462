import { execFileSync } from 'node:child_process';
import { cliHint, localAwsHint, messageKeyJson, settingHint, shellQuote, stackFlags } from '../../../cli/hints';
import { selectionOf } from '../../../cli/stack-context';
import { shellWords } from '../../helpers/hints';

/** The command lines printed for the user to paste (cli/hints.ts); test/integration/local/start.test.ts runs them. */

/** What a POSIX shell makes of a line: its words, as `sh` passes them to a program. */
function shWords(line: string): string[] {
  const script = 'eval "set -- $1"; for w in "$@"; do printf \'%s\\0\' "$w"; done';
  const out = execFileSync('sh', ['-c', script, 'sh', line], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

test.each(['plain', 'rf_o6aDxhawR227gt5wgZ2I', 'hello world', "it's", '{"messageId":{"S":"x"}}', '$HOME', 'a`b`', ''])(
  'shellQuote(%j) reaches a program as the same word',
  (word) => {
    expect(shWords(shellQuote(word))).toEqual([word]);
  },
);

test('plain words stay unquoted, so the hints read as typed', () => {
  expect(shellQuote('--to')).toBe('--to');
  expect(shellQuote('+15555550123')).toBe('+15555550123');
  expect(shellQuote('http://127.0.0.1:8000/000000000000/q')).toBe('http://127.0.0.1:8000/000000000000/q');
});

test('the CLI is named one way, with the flags that select the same stack', () => {
  expect(cliHint(['status', 'rf_1'], { local: true })).toBe('npx volt-webhooks status rf_1 --local');
  expect(cliHint(['status', 'rf_1'], { localFile: 'my stack.json' })).toBe(
    "npx volt-webhooks status rf_1 --local-file 'my stack.json'",
  );
  expect(cliHint(['redrive', '--queue', 'state'], { stack: 'Ops', region: 'eu-west-1' })).toBe(
    'npx volt-webhooks redrive --queue state --stack Ops --region eu-west-1',
  );
  expect(stackFlags({})).toEqual([]);
  // A placeholder is left bare, for the user to replace.
  expect(cliHint(['history', '<messageId>'], { local: true })).toBe('npx volt-webhooks history <messageId> --local');
});

test('an AWS CLI line for the stand-ins needs nothing from the machine: credentials, region and endpoint are on it', () => {
  const line = localAwsHint({ region: 'us-east-1', endpoint: 'http://127.0.0.1:8000' }, [
    'dynamodb',
    'get-item',
    '--table-name',
    'T',
    '--key',
    messageKeyJson('rf_1'),
  ]);
  expect(line).toBe(
    `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --region us-east-1 --endpoint-url http://127.0.0.1:8000 dynamodb get-item --table-name T --key '{"messageId":{"S":"rf_1"}}'`,
  );
  expect(shellWords(line).slice(2)).toEqual([
    'aws',
    '--region',
    'us-east-1',
    '--endpoint-url',
    'http://127.0.0.1:8000',
    'dynamodb',
    'get-item',
    '--table-name',
    'T',
    '--key',
    '{"messageId":{"S":"rf_1"}}',
  ]);
});

test('a setting found for the local stack restarts it; for a deployed one it deploys the same stack, keeping the rest', () => {
  expect(settingHint({ signatureScheme: 'pss-sha256-base64' }, { local: true })).toBe(
    'Restart the local stack with: npm start -- --context signatureScheme=pss-sha256-base64',
  );
  const deploy = settingHint({ signatureScheme: 'pss-sha256-base64' }, { stack: 'Ops', region: 'eu-west-1' });
  expect(deploy).toBe(
    'Deploy with: npx cdk deploy -c signatureScheme=pss-sha256-base64 -c stackName=Ops  # and the -c options you deploy with',
  );
});

test('selectionOf gives the flags back from a resolved stack', () => {
  const cwd = '/work/app';
  expect(selectionOf({ kind: 'local', source: '/work/app/.local/stack.json' }, cwd)).toEqual({ local: true });
  expect(selectionOf({ kind: 'local', source: '/work/app/other/stack.json' }, cwd)).toEqual({
    localFile: 'other/stack.json',
  });
  expect(selectionOf({ kind: 'local', source: '/tmp/stack.json' }, cwd)).toEqual({ localFile: '/tmp/stack.json' });
  expect(selectionOf({ kind: 'deployed', source: 'VoltSmsWebhooks' }, cwd)).toEqual({});
  expect(selectionOf({ kind: 'deployed', source: 'Ops', region: 'eu-west-1' }, cwd)).toEqual({
    stack: 'Ops',
    region: 'eu-west-1',
  });
});
