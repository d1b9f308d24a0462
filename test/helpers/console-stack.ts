import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { loadConsoleAssets } from '../../cli/console/assets';
import { ConsoleData } from '../../cli/console/data';
import { startConsoleServer, type ConsoleServer } from '../../cli/console/server';
import { resolveStackContext } from '../../cli/stack-context';
import { localStackFileOf, writeLocalStackFile } from '../../local/stack-file';
import { startVoltSimulator, type VoltSimulator } from '../../local/volt-simulator';
import { testKeyPair } from './keys';
import { startProductStack, type ProductStack } from './local-stack';

/**
 * What `npm start` plus `volt-webhooks console --local` run: the Volt simulator, the product's
 * template on the local stack, its `.local/stack.json`, and the console server reading it
 * through the CLI's own context resolution. Shared by the browser tests and the screenshot script.
 */
export interface ConsoleStack {
  readonly volt: VoltSimulator;
  readonly product: ProductStack;
  readonly server: ConsoleServer;
  stop(): Promise<void>;
}

const SECRET_NAME = 'volt/console-test-token';

export async function startConsoleStack(name: string): Promise<ConsoleStack> {
  const key = testKeyPair(name);
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  const volt = await startVoltSimulator({ port: 0, privateKeyPem: key.privatePem });
  let product: ProductStack | undefined;
  let data: ConsoleData | undefined;
  try {
    product = await startProductStack({
      name,
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        voltApiUrl: volt.graphqlUrl,
        voltApiTokenSecret: SECRET_NAME,
        // As `npm start` runs it: a delivery reaches the archive (and the timeline's counts) in about a second.
        archiveBatchWindowSeconds: '1',
      },
      stack: { secrets: { [SECRET_NAME]: volt.token } },
    });
    const file = path.join(dir, '.local', 'stack.json');
    writeLocalStackFile(file, localStackFileOf(product.stack, volt, path.join(dir, 'unused-key.pem')));
    data = new ConsoleData(await resolveStackContext({ localFile: file }));
    const server = await startConsoleServer({ data, assets: await loadConsoleAssets() });
    const started = { product, data };
    return {
      volt,
      product,
      server,
      stop: async () => {
        await server.close();
        started.data.close();
        await started.product.stop();
        await volt.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err: unknown) {
    data?.close();
    await product?.stop();
    await volt.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Debian's chromium, driven by playwright-core (no browser download), with a throwaway profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'console-chromium-'));
  // Playwright sets --user-data-dir itself from the persistent context's directory.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
