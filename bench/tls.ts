import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generate } from 'selfsigned';

/**
 * A throw-away certificate for the fakes' HTTPS endpoints, made at bench time in pure Node (no
 * openssl needed). The child processes trust it through NODE_EXTRA_CA_CERTS, so the SDK pays a
 * full TLS set-up (handshake, chain check) as it does against AWS's endpoints.
 */

export interface BenchCertificate {
  readonly key: string;
  readonly cert: string;
  /** The certificate as a PEM file, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
}

/** The fakes listen on this address; the certificate names it (an IP SAN), so no DNS is involved. */
export const FAKE_HOST = '127.0.0.1';

export async function makeCertificate(dir: string): Promise<BenchCertificate> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 24 * 3600_000);
  // RSA 2048 signed with SHA-256: what AWS's regional endpoints present.
  const pems = await generate([{ name: 'commonName', value: 'volt-bench' }], {
    keyType: 'rsa',
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: FAKE_HOST },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const caFile = path.join(dir, 'bench-ca.pem');
  writeFileSync(caFile, pems.cert);
  return { key: pems.private, cert: pems.cert, caFile };
}
