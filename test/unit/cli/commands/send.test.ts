import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../../../cli/main';
import { startVoltSimulator, type VoltSimulator } from '../../../../local/volt-simulator';

let sim: VoltSimulator;
let dir: string;
const secrets = mockClient(SecretsManagerClient);

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const MESSAGE = ['--to', '+15555550123', '--from', '+15555550145', '--body', 'test from the CLI'];

beforeAll(async () => {
  // The simulator's default token, so that --local needs none.
  sim = await startVoltSimulator({ ownedNumbers: ['+15555550145'] });
  dir = mkdtempSync(path.join(tmpdir(), 'send-'));
  writeFileSync(path.join(dir, 'stack.json'), JSON.stringify({ voltApiUrl: sim.graphqlUrl, region: 'us-east-1' }));
});
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await sim.idle();
  sim.reset();
  secrets.reset();
  delete process.env.SEND_TEST_TOKEN;
});

describe('volt-webhooks send', () => {
  it('creates the message through the local simulator and prints its id and the status hint', async () => {
    const c = capture();
    const code = await main(['send', ...MESSAGE, '--local-file', path.join(dir, 'stack.json')], c.io);
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
    const id = /Created message (rf_\w+)/.exec(c.out.join('\n'))?.[1] ?? '';
    expect(sim.getMessage(id)).toMatchObject({ to: '+15555550123', from: '+15555550145', body: 'test from the CLI' });
    expect(c.out.join('\n')).toContain(`volt-webhooks status ${id} --local`);
  });

  it('reads the token from --token-env for --api-url', async () => {
    process.env.SEND_TEST_TOKEN = sim.token;
    const c = capture();
    const code = await main(
      ['send', ...MESSAGE, '--api-url', sim.graphqlUrl, '--token-env', 'SEND_TEST_TOKEN', '--json'],
      c.io,
    );
    expect(code).toBe(0);
    const message = JSON.parse(c.out.join('\n')) as { id: string; status: string };
    expect(message.status).toBe('queued');
    expect(sim.getMessage(message.id)).toBeDefined();
  });

  it('reads the token from --token-secret', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'volt/api-token' })
      .resolves({ SecretString: JSON.stringify({ token: sim.token }) });
    const c = capture();
    const code = await main(
      ['send', ...MESSAGE, '--api-url', sim.graphqlUrl, '--token-secret', 'volt/api-token', '--region', 'us-east-1'],
      c.io,
    );
    expect(c.err).toEqual([]);
    expect(code).toBe(0);
  });

  it("exits 1 with Volt's message when Volt refuses the message", async () => {
    const c = capture();
    const code = await main(
      [
        'send',
        '--to',
        '+15555550123',
        '--from',
        '+15555550999',
        '--body',
        'x',
        '--local-file',
        path.join(dir, 'stack.json'),
      ],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.err.join('\n')).toContain('The number +15555550999 does not belong to this organization');
  });

  it('exits 1 and says how to give a token when there is none', async () => {
    const c = capture();
    const saved = process.env.VOLT_API_TOKEN;
    delete process.env.VOLT_API_TOKEN;
    try {
      expect(await main(['send', ...MESSAGE, '--api-url', sim.graphqlUrl], c.io)).toBe(1);
    } finally {
      if (saved !== undefined) process.env.VOLT_API_TOKEN = saved;
    }
    expect(c.err.join('\n')).toMatch(/no Volt API token: set VOLT_API_TOKEN/);
  });

  it('exits 2 for a number that is not E.164', async () => {
    const c = capture();
    expect(await main(['send', '--to', '5555550123', '--from', '+15555550145', '--body', 'x', '--local'], c.io)).toBe(
      2,
    );
    expect(c.err.join('\n')).toMatch(/--to "5555550123" is not an E\.164 number/);
  });
});
