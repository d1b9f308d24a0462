import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { signBody } from '../../../../lambda/common/signature';
import { main } from '../../../../cli/main';
import { vendorEvent } from '../../../helpers/fixtures';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
let dir: string;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'calibrate-'));
  writeFileSync(path.join(dir, 'body.json'), vendorEvent('message-failed').raw);
  writeFileSync(path.join(dir, 'id_rsa.pub'), `${volt.formats.sshRsa}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('volt-webhooks calibrate', () => {
  it('prints the scheme a captured delivery verifies with, and exits 0', async () => {
    const header = signBody(volt.privateKey, vendorEvent('message-failed').raw, {
      padding: 'pkcs1',
      hash: 'sha384',
      encoding: 'hex',
    });
    const c = capture();
    const code = await main(
      [
        'calibrate',
        '--body',
        path.join(dir, 'body.json'),
        '--signature',
        header,
        '--key',
        path.join(dir, 'id_rsa.pub'),
      ],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out.join('\n')).toContain('Verifies with: pkcs1-sha384-hex');
    expect(c.out.join('\n')).toContain('-c signatureScheme=pkcs1-sha384-hex');
  });

  it('prints JSON with --json', async () => {
    const header = signBody(volt.privateKey, vendorEvent('message-failed').raw);
    const c = capture();
    await main(
      [
        'calibrate',
        '--json',
        '--body',
        path.join(dir, 'body.json'),
        '--signature',
        header,
        '--key',
        path.join(dir, 'id_rsa.pub'),
      ],
      c.io,
    );
    expect(JSON.parse(c.out[0] ?? '')).toEqual({
      bodyBytes: Buffer.byteLength(vendorEvent('message-failed').raw),
      keys: 1,
      matchingSchemes: ['pkcs1-sha256-base64'],
    });
  });

  it('exits 1 and says what to check when nothing verifies', async () => {
    const header = signBody(testKeyPair('other').privateKey, 'something else');
    const c = capture();
    const code = await main(
      [
        'calibrate',
        '--body',
        path.join(dir, 'body.json'),
        '--signature',
        header,
        '--key',
        path.join(dir, 'id_rsa.pub'),
      ],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.out.join('\n')).toMatch(/No scheme verifies/);
  });

  it('exits 2 with its help for missing arguments', async () => {
    const c = capture();
    expect(await main(['calibrate', '--body', 'x'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/are required[\s\S]*Usage: volt-webhooks calibrate/);
  });

  it('exits 2 for an unknown option', async () => {
    const c = capture();
    expect(await main(['calibrate', '--bogus'], c.io)).toBe(2);
  });

  it('exits 1 with a clear error for a missing file', async () => {
    const c = capture();
    const code = await main(
      ['calibrate', '--body', path.join(dir, 'nope'), '--signature', 'x', '--key', path.join(dir, 'id_rsa.pub')],
      c.io,
    );
    expect(code).toBe(1);
    expect(c.err.join('\n')).toMatch(/cannot read body file .*ENOENT/);
  });

  it('lists the commands with --help and refuses an unknown one', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.out.join('\n')).toMatch(/calibrate/);
    expect(await main(['frobnicate'], c.io)).toBe(2);
    expect(c.err.join('\n')).toMatch(/Unknown command "frobnicate"/);
  });
});
