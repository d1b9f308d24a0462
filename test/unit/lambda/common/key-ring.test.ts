import { KeysUnavailableError } from '../../../../lambda/common/errors';
import { KeyRing } from '../../../../lambda/common/key-ring';
import { testKeyPair } from '../../../helpers/keys';

const first = testKeyPair('first');
const second = testKeyPair('second');

function fakeUrl(initial: string | Error) {
  let served: string | Error = initial;
  let clock = 0;
  const calls: string[] = [];
  return {
    calls,
    serve: (value: string | Error) => {
      served = value;
    },
    advance: (ms: number) => {
      clock += ms;
    },
    options: {
      url: 'https://keys.example/id_rsa.pub',
      now: () => clock,
      fetchText: async (url: string) => {
        calls.push(url);
        if (served instanceof Error) throw served;
        return served;
      },
    },
  };
}

describe('KeyRing', () => {
  it('uses pinned keys without fetching anything', async () => {
    const url = fakeUrl(new Error('must not fetch'));
    const ring = new KeyRing({ ...url.options, pinned: [first.publicKey] });
    expect(await ring.current()).toEqual([first.publicKey]);
    expect(await ring.refreshAfterFailure()).toBeUndefined();
    expect(url.calls).toHaveLength(0);
  });

  it('fetches the key URL once on first use and caches it', async () => {
    const url = fakeUrl(first.formats.sshRsa);
    const ring = new KeyRing(url.options);
    const keys = await ring.current();
    await ring.current();
    expect(keys[0]?.equals(first.publicKey)).toBe(true);
    expect(url.calls).toEqual(['https://keys.example/id_rsa.pub']);
  });

  it('fails closed when no key can be fetched', async () => {
    const ring = new KeyRing(fakeUrl(new Error('connect ECONNREFUSED')).options);
    await expect(ring.current()).rejects.toThrow(KeysUnavailableError);
    expect(ring.lastError).toMatch(/ECONNREFUSED/);
  });

  it('fails closed when the URL serves something that is not a key', async () => {
    const ring = new KeyRing(fakeUrl('<html>not found</html>').options);
    await expect(ring.current()).rejects.toThrow(KeysUnavailableError);
  });

  it('retries a failed first fetch at most once a second', async () => {
    const url = fakeUrl(new Error('down'));
    const ring = new KeyRing(url.options);
    await expect(ring.current()).rejects.toThrow(KeysUnavailableError);
    await expect(ring.current()).rejects.toThrow(KeysUnavailableError);
    expect(url.calls).toHaveLength(1);
    url.serve(first.formats.sshRsa);
    url.advance(1000);
    expect((await ring.current())[0]?.equals(first.publicKey)).toBe(true);
    expect(url.calls).toHaveLength(2);
  });

  it('heals a key rotation by refetching after a failure, once per interval', async () => {
    const url = fakeUrl(first.formats.sshRsa);
    const ring = new KeyRing({ ...url.options, refetchIntervalMs: 300_000 });
    await ring.current();
    url.serve(second.formats.sshRsa);
    // Too soon after the first fetch: a flood of bad signatures must not hammer the URL.
    expect(await ring.refreshAfterFailure()).toBeUndefined();
    expect(url.calls).toHaveLength(1);
    url.advance(300_000);
    const refreshed = await ring.refreshAfterFailure();
    expect(refreshed?.[0]?.equals(second.publicKey)).toBe(true);
    expect(url.calls).toHaveLength(2);
  });

  it('returns nothing new when the refetched keys did not change', async () => {
    const url = fakeUrl(first.formats.sshRsa);
    const ring = new KeyRing({ ...url.options, refetchIntervalMs: 10 });
    await ring.current();
    url.advance(10);
    expect(await ring.refreshAfterFailure()).toBeUndefined();
    expect(url.calls).toHaveLength(2);
  });

  it('keeps the working keys when a refetch fails', async () => {
    const url = fakeUrl(first.formats.sshRsa);
    const ring = new KeyRing({ ...url.options, refetchIntervalMs: 10 });
    await ring.current();
    url.serve(new Error('503'));
    url.advance(10);
    expect(await ring.refreshAfterFailure()).toBeUndefined();
    expect((await ring.current())[0]?.equals(first.publicKey)).toBe(true);
  });

  it('shares one fetch among concurrent first requests', async () => {
    const url = fakeUrl(first.formats.sshRsa);
    const ring = new KeyRing(url.options);
    const all = await Promise.all([ring.current(), ring.current(), ring.current()]);
    expect(all.every((keys) => keys.length === 1)).toBe(true);
    expect(url.calls).toHaveLength(1);
  });
});
