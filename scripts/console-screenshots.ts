// `npm run docs:console`: the README's pictures of the console (docs/console/*.png), taken from
// the local stack in headless Chromium after a few messages went through the Volt simulator.
// Needs /usr/bin/chromium (or CHROMIUM_PATH), as `npm run test:browser` does.
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { launchChromium, startConsoleStack } from '../test/helpers/console-stack';

const OUT = path.join(__dirname, '..', 'docs', 'console');
const FROM = '+15555550123';

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const stack = await startConsoleStack('console-screenshots');
  const chromium = await launchChromium();
  try {
    const { volt } = stack;
    const sent = [
      volt.createMessage({ to: '+15555550100', from: FROM, body: 'Your table for 4 is ready', media: [] }),
      volt.createMessage({ to: '+15555550101', from: FROM, body: 'Reminder: appointment at 3 pm', media: [] }),
    ];
    // The pictured timeline's message is delivered twice, as Volt's retries do, to show the duplicate mark.
    await volt.idle();
    volt.setDeliveryOptions({ duplicates: 1 });
    sent.push(volt.createMessage({ to: '+15555550666', from: FROM, body: 'Limited offer!!!', media: [] }));
    await volt.idle();
    volt.setDeliveryOptions({ duplicates: 0 });
    sent.push(
      volt.createMessage({ to: '+15555550667', from: FROM, body: 'Weekly newsletter', media: [] }),
      volt.createMessage({ to: '+15555550668', from: FROM, body: 'Your code is 123456', media: [] }),
    );
    volt.simulateInbound({ from: '+15555550102', to: FROM, body: 'Thanks, see you then', media: [] });
    const page = await chromium.context.newPage();
    await page.goto(stack.server.openUrl);
    await page.waitForFunction((n) => document.querySelectorAll('#messages tbody tr').length >= n, sent.length + 1, {
      timeout: 30_000,
    });
    const shot = async (name: string) => {
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
      console.log(`docs/console/${name}.png`);
    };
    await shot('messages');
    await page.goto(`${stack.server.url}#/message/${encodeURIComponent(sent[2]?.id ?? '')}`);
    await page.waitForFunction(
      () => document.querySelectorAll('#timeline tbody tr[data-duplicate="true"]').length >= 2,
      undefined,
      {
        timeout: 30_000,
      },
    );
    await shot('timeline');
    await page.goto(`${stack.server.url}#/failures?since=24h`);
    await page.locator('figure.chart').first().waitFor();
    await shot('failures');
    await page.goto(`${stack.server.url}#/health`);
    await page.locator('#queues').waitFor();
    await shot('health');
    await page.goto(`${stack.server.url}#/send`);
    await page.locator('form.send').waitFor();
    await shot('send');
  } finally {
    await chromium.close();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
