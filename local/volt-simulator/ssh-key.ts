import type { KeyObject } from 'node:crypto';

/** An RFC 4251 `string`: a 32-bit big-endian length, then the bytes. */
function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * An RFC 4251 `mpint` for a non-negative integer given as unsigned big-endian bytes: leading
 * zero bytes are dropped, and a 0x00 is put back in front when the top bit is set, because an
 * mpint is two's complement and would otherwise read as negative.
 */
function sshMpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start += 1;
  const magnitude = unsigned.subarray(start);
  if (magnitude.length === 0) return sshString(Buffer.alloc(0));
  const needsPad = ((magnitude[0] ?? 0) & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

/**
 * Writes an RSA public key as one OpenSSH `authorized_keys`-style line, the format of an
 * `id_rsa.pub` file (RFC 4253 section 6.6: string "ssh-rsa", mpint e, mpint n, base64).
 */
export function toOpenSshRsa(publicKey: KeyObject, comment = 'volt-simulator'): string {
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new Error(`toOpenSshRsa needs an RSA key, got ${publicKey.asymmetricKeyType ?? publicKey.type}`);
  }
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.e !== 'string' || typeof jwk.n !== 'string') throw new Error('RSA key has no exponent or modulus');
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa', 'latin1')),
    sshMpint(Buffer.from(jwk.e, 'base64url')),
    sshMpint(Buffer.from(jwk.n, 'base64url')),
  ]);
  return `ssh-rsa ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}
