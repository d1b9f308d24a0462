import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** The repository root (this file lives in `local/`). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * Synthesizes the app with the CDK CLI, exactly as `cdk synth` / `cdk deploy` would (cdk.json's
 * app and context included), plus the local context, into `outdir`.
 */
export async function synthesize(options: {
  outdir: string;
  context?: Readonly<Record<string, string>>;
  cwd?: string;
}): Promise<void> {
  const cwd = options.cwd ?? PROJECT_ROOT;
  const cli = path.join(cwd, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const args = [cli, 'synth', '-q', '-o', options.outdir];
  for (const [key, value] of Object.entries(options.context ?? {})) args.push('-c', `${key}=${value}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        const relevant = output
          .split('\n')
          .filter((l) => !/^npm warn/i.test(l) && l.trim() !== '')
          .join('\n');
        reject(new Error(`cdk synth failed (exit ${code}):\n${relevant}`));
      }
    });
  });
}

export interface LocalSigningKey {
  /** The PEM private key file (PKCS#8) the simulator signs with. */
  readonly privateKeyFile: string;
  readonly privateKeyPem: string;
  /** The public key (SPKI PEM) the local ingest trusts. */
  readonly publicKeyPem: string;
}

/** The local RSA signing key in `dir`, created on first use and kept, so restarts trust the same key. */
export function localSigningKey(dir: string): LocalSigningKey {
  const privateKeyFile = path.join(dir, 'volt-signing-key.pem');
  if (!existsSync(privateKeyFile)) {
    mkdirSync(dir, { recursive: true });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(privateKeyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { mode: 0o600 });
  }
  const privateKeyPem = readFileSync(privateKeyFile, 'utf8');
  const publicKeyPem = createPublicKey(privateKeyPem).export({ format: 'pem', type: 'spki' }).toString();
  return { privateKeyFile, privateKeyPem, publicKeyPem };
}
