import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { generate } from 'selfsigned';
import type { Runtime } from './runtimes';

/**
 * A throw-away certificate for the fakes' HTTPS endpoints, made at bench time in pure Node (no
 * openssl needed), and the way the child processes trust it, so that the SDK pays a full TLS
 * set-up (root store, handshake, chain check) as it does against AWS's endpoints.
 */

export interface BenchCertificate {
  readonly key: string;
  readonly cert: string;
}

/** How to start a runtime so that it trusts the certificate: extra node flags and environment. */
export interface Trust {
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

export const NO_TRUST: Trust = { args: [], env: {} };

/** The fakes listen on this address; the certificate names it (an IP SAN), so no DNS is involved. */
export const FAKE_HOST = '127.0.0.1';

export async function makeCertificate(): Promise<BenchCertificate> {
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
  return { key: pems.private, cert: pems.cert };
}

/**
 * Not NODE_EXTRA_CA_CERTS: Node 20 and 24 read that file at every start (measured here: +33 ms
 * and +19 ms per process), and Lambda's nodejs20.x and later runtimes do not set it. Instead
 * `--use-openssl-ca` with SSL_CERT_FILE naming a file of the runtime's own root certificates
 * plus ours: nothing is loaded at start, and the first TLS connection builds a store of the same
 * ~145 roots that Node builds from its bundled list on Lambda.
 */
export function trustFor(runtime: Runtime, cert: BenchCertificate, dir: string): Trust {
  const roots = execFileSync(runtime.execPath, ['-p', "require('node:tls').rootCertificates.join('\\n')"], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const file = path.join(dir, `roots-${runtime.id}.pem`);
  writeFileSync(file, `${roots.trim()}\n${cert.cert.trim()}\n`);
  return { args: ['--use-openssl-ca'], env: { SSL_CERT_FILE: file } };
}
