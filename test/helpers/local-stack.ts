import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack';
import { synthesize } from '../../local/synth';
import { localAwsClients, type LocalAwsClients } from './local-aws';

/**
 * The product's own app synthesized by the CDK CLI into a temporary directory and run on the
 * local stack, with SDK clients on its stand-ins: what the integration tests start from.
 */
export interface ProductStack {
  readonly outdir: string;
  readonly stack: LocalStack;
  readonly aws: LocalAwsClients;
  /** Closes the clients, stops the stack and removes the assembly. */
  stop(): Promise<void>;
}

export interface ProductStackOptions {
  /** Names the temporary directory, to tell the tests' assemblies apart. */
  readonly name: string;
  /** CDK context for the synth (`-c key=value`). */
  readonly context: Readonly<Record<string, string>>;
  /** Options for `startLocalStack`, beyond the assembly. */
  readonly stack?: Omit<LocalStackOptions, 'cdkOut'>;
}

export async function startProductStack(options: ProductStackOptions): Promise<ProductStack> {
  const outdir = mkdtempSync(path.join(tmpdir(), `${options.name}-`));
  try {
    await synthesize({ outdir, context: options.context });
    const stack = await startLocalStack({ ...options.stack, cdkOut: outdir });
    const aws = localAwsClients(stack);
    return {
      outdir,
      stack,
      aws,
      stop: async () => {
        aws.close();
        await stack.stop();
        rmSync(outdir, { recursive: true, force: true });
      },
    };
  } catch (err: unknown) {
    rmSync(outdir, { recursive: true, force: true });
    throw err;
  }
}
