import { generateKeyPairSync, type KeyObject } from 'node:crypto';

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly privatePem: string;
  /** The public key in every format the project accepts. */
  readonly formats: {
    readonly spkiPem: string;
    readonly pkcs1Pem: string;
    readonly sshRsa: string;
    readonly jwk: Record<string, unknown>;
  };
}

/** Writes an RFC 4253 ssh-rsa public key line, independently of the parser under test. */
function toSshRsa(publicKey: KeyObject, comment: string): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const mpint = (b64url: string): Buffer => {
    const raw = Buffer.from(b64url, 'base64url');
    // A leading high bit would read as negative: mpints get a 0x00 in front.
    return (raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw;
  };
  const field = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), field(mpint(jwk.e ?? '')), field(mpint(jwk.n ?? ''))]);
  return `ssh-rsa ${blob.toString('base64')} ${comment}`;
}

const cache = new Map<string, TestKeyPair>();

/** An RSA key pair for tests, generated once per name per test file. */
export function testKeyPair(name = 'default', modulusLength = 2048): TestKeyPair {
  const key = `${name}:${modulusLength}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  const pair: TestKeyPair = {
    privateKey,
    publicKey,
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    formats: {
      spkiPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      pkcs1Pem: publicKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
      sshRsa: toSshRsa(publicKey, `${name}@test`),
      jwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
    },
  };
  cache.set(key, pair);
  return pair;
}
