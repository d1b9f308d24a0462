import { generateKeyPairSync } from 'node:crypto';
import { SignatureRejectedError } from '../../../../lambda/common/errors';
import { parsePublicKey, parsePublicKeyDocument, parsePublicKeyList } from '../../../../lambda/common/keys';
import {
  allSchemes,
  DEFAULT_SCHEME,
  findMatchingSchemes,
  formatScheme,
  parseScheme,
  signBody,
  verifySignature,
  type SignatureScheme,
} from '../../../../lambda/common/signature';
import { vendorEvent } from '../../../helpers/fixtures';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
const other = testKeyPair('other');
const body = Buffer.from(vendorEvent('message-delivered').raw, 'utf8');

function rejectionReason(fn: () => void): string {
  try {
    fn();
  } catch (err: unknown) {
    if (err instanceof SignatureRejectedError) return err.reason;
    throw err;
  }
  return 'accepted';
}

describe('every scheme and key format round-trips', () => {
  const formats = Object.entries(volt.formats);
  const cases: [string, string, SignatureScheme][] = [];
  for (const scheme of allSchemes()) for (const [format] of formats) cases.push([formatScheme(scheme), format, scheme]);

  it('covers 24 schemes by 4 key formats', () => {
    expect(allSchemes()).toHaveLength(24);
    expect(cases).toHaveLength(96);
  });

  it.each(cases)('%s with a %s key verifies its own signature and rejects another key', (_name, format, scheme) => {
    const key = parsePublicKey(volt.formats[format as keyof typeof volt.formats] as string);
    const header = signBody(volt.privatePem, body, scheme);
    expect(rejectionReason(() => verifySignature(body, header, [key], scheme))).toBe('accepted');
    expect(rejectionReason(() => verifySignature(body, signBody(other.privateKey, body, scheme), [key], scheme))).toBe(
      'mismatch',
    );
  });
});

describe('tampering and malformed headers', () => {
  const key = parsePublicKey(volt.formats.sshRsa);
  const header = signBody(volt.privateKey, body);
  const verify = (b: Buffer, h: string | undefined) => rejectionReason(() => verifySignature(b, h, [key]));

  it('accepts the untouched body and signature', () => {
    expect(verify(body, header)).toBe('accepted');
  });

  it.each([0, 1, 100, body.length - 1])('rejects a body with one bit flipped at byte %i', (index) => {
    const tampered = Buffer.from(body);
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    expect(verify(tampered, header)).toBe('mismatch');
  });

  it('rejects a signature with one bit flipped', () => {
    const sig = Buffer.from(header, 'base64');
    sig[17] = (sig[17] ?? 0) ^ 0x10;
    expect(verify(body, sig.toString('base64'))).toBe('mismatch');
  });

  it('rejects the same data re-serialized with different whitespace', () => {
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))));
    expect(reserialized.equals(body)).toBe(false);
    expect(verify(reserialized, header)).toBe('mismatch');
  });

  it('rejects a truncated signature', () => {
    expect(verify(body, header.slice(0, header.length - 8))).toBe('mismatch');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['blank', '   '],
  ])('rejects an %s signature as missing', (_label, value) => {
    expect(verify(body, value)).toBe('missing');
  });

  it('accepts surrounding whitespace, which proxies may add', () => {
    expect(verify(body, `  ${header}\t`)).toBe('accepted');
  });

  it('rejects two signatures joined by a comma (a repeated header)', () => {
    expect(verify(body, `${header},${header}`)).toBe('malformed');
  });

  it('rejects characters outside the encoding alphabet instead of skipping them', () => {
    expect(verify(body, `${header.slice(0, 10)}!${header.slice(10)}`)).toBe('malformed');
  });

  it('rejects a hex signature under the base64 scheme when it does not verify', () => {
    expect(verify(body, signBody(volt.privateKey, body, { ...DEFAULT_SCHEME, encoding: 'hex' }))).toBe('mismatch');
  });

  it('rejects a signature made with another hash', () => {
    expect(verify(body, signBody(volt.privateKey, body, { ...DEFAULT_SCHEME, hash: 'sha1' }))).toBe('mismatch');
  });

  // PKCS#1 v1.5 verifies with the bare KeyObject (its default padding), PSS with explicit options:
  // neither padding may verify a signature made with the other.
  it('keeps the paddings apart: a PSS signature fails the PKCS#1 scheme and a PKCS#1 one the PSS scheme', () => {
    const pss: SignatureScheme = { ...DEFAULT_SCHEME, padding: 'pss' };
    const pssHeader = signBody(volt.privateKey, body, pss);
    expect(rejectionReason(() => verifySignature(body, pssHeader, [key], pss))).toBe('accepted');
    expect(verify(body, pssHeader)).toBe('mismatch');
    expect(rejectionReason(() => verifySignature(body, header, [key], pss))).toBe('mismatch');
  });
});

describe('several trusted keys (rotation)', () => {
  it('verifies with whichever trusted key signed', () => {
    const keys = parsePublicKeyList(JSON.stringify([other.formats.spkiPem, volt.formats.jwk]));
    expect(rejectionReason(() => verifySignature(body, signBody(volt.privateKey, body), keys))).toBe('accepted');
    expect(rejectionReason(() => verifySignature(body, signBody(other.privateKey, body), keys))).toBe('accepted');
    expect(rejectionReason(() => verifySignature(body, signBody(testKeyPair('third').privateKey, body), keys))).toBe(
      'mismatch',
    );
  });
});

describe('key parsing', () => {
  it('reads a document with an ssh-rsa line, a comment and a PEM block', () => {
    const doc = `# Volt keys\n${volt.formats.sshRsa}\n\n${other.formats.pkcs1Pem}`;
    const keys = parsePublicKeyDocument(doc);
    expect(keys).toHaveLength(2);
    expect(keys.some((k) => k.equals(volt.publicKey))).toBe(true);
    expect(keys.some((k) => k.equals(other.publicKey))).toBe(true);
  });

  it('reads a JWK set', () => {
    const keys = parsePublicKeyDocument(JSON.stringify({ keys: [volt.formats.jwk, other.formats.jwk] }));
    expect(keys.map((k) => k.equals(volt.publicKey))).toEqual([true, false]);
  });

  it('reads a JWK given as JSON text', () => {
    expect(parsePublicKey(JSON.stringify(volt.formats.jwk)).equals(volt.publicKey)).toBe(true);
  });

  it('refuses a private key with a message saying so', () => {
    expect(() => parsePublicKey(volt.privatePem, 'voltPublicKeys[0]')).toThrow(/voltPublicKeys\[0\].*PRIVATE key/);
  });

  it('refuses an RSA key under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => parsePublicKey(small)).toThrow(/1024-bit RSA key; at least 2048/);
  });

  it('refuses a non-RSA key', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .publicKey.export({ format: 'pem', type: 'spki' })
      .toString();
    expect(() => parsePublicKey(ec)).toThrow(/ec key; Volt signs with RSA/);
  });

  it('refuses other OpenSSH key types and garbage', () => {
    expect(() => parsePublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDx key')).toThrow(/neither/);
    expect(() => parsePublicKey('ssh-rsa AAAA')).toThrow(/truncated/);
    expect(() => parsePublicKey('hello')).toThrow(/neither an "ssh-rsa" line, a PEM block nor a JWK/);
  });

  it('refuses an empty key list and a document with no key', () => {
    expect(() => parsePublicKeyList('[]')).toThrow(/non-empty JSON array/);
    expect(() => parsePublicKeyList('not json')).toThrow(/not valid JSON/);
    expect(() => parsePublicKeyDocument('# only a comment\n')).toThrow(/contains no public key/);
  });
});

describe('scheme names', () => {
  it('parses what formatScheme writes, for every scheme', () => {
    for (const scheme of allSchemes()) expect(parseScheme(formatScheme(scheme))).toEqual(scheme);
  });

  it.each(['sha256', 'pkcs1-md5-base64', 'pss-sha256-base32', 'pkcs1-sha256-base64-extra', ''])(
    'refuses "%s" with the expected form',
    (name) => {
      expect(() => parseScheme(name)).toThrow(/<padding>-<hash>-<encoding>/);
    },
  );
});

describe('calibration', () => {
  it('finds the scheme a delivery was signed with', () => {
    const scheme: SignatureScheme = { padding: 'pss', hash: 'sha512', encoding: 'base64url' };
    const header = signBody(volt.privateKey, body, scheme);
    expect(findMatchingSchemes(body, header, [volt.publicKey]).map(formatScheme)).toEqual(['pss-sha512-base64url']);
  });

  it('finds nothing for a body that was changed', () => {
    const header = signBody(volt.privateKey, body);
    expect(findMatchingSchemes(Buffer.concat([body, Buffer.from(' ')]), header, [volt.publicKey])).toEqual([]);
  });
});
