import type { Page } from 'playwright-core';
import { launchChromium, startConsoleStack, type ConsoleStack } from '../helpers/console-stack';

/**
 * The console in headless Chromium against the local stack, as an operator uses it: messages
 * sent through the Volt simulator appear in the list, their timelines, the failures chart.
 */

jest.setTimeout(30_000);

let stack: ConsoleStack;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;

const FROM = '+15555550123';
const SPAM = '+15555550666';

beforeAll(async () => {
  stack = await startConsoleStack('console-browser');
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  await page.goto(stack.server.openUrl);
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await stack?.stop();
});

/** Sends through the page's own form, as an operator would; returns the new message's id. */
async function sendFromForm(to: string, body: string): Promise<string> {
  await page.goto(`${stack.server.url}#/send`);
  await page.getByLabel(/^To/).fill(to);
  await page.getByLabel('From (E.164)').fill(FROM);
  await page.getByLabel('Text').fill(body);
  await page.getByRole('button', { name: 'Send through the simulator' }).click();
  const link = page.locator('#send-result a');
  await link.waitFor({ timeout: 10_000 });
  return (await link.textContent()) ?? '';
}

test('a request without the token is refused, and the page opens with it', async () => {
  // The cookie belongs to 127.0.0.1: the same server under "localhost" gets no token from the browser.
  const stranger = await chromium.context.newPage();
  try {
    const refused = await stranger.goto(`http://localhost:${stack.server.port}/`);
    expect(refused?.status()).toBe(401);
    expect(await stranger.textContent('body')).toMatch(/^Unauthorized/);
    const api = await stranger.goto(`http://localhost:${stack.server.port}/api/messages`);
    expect(api?.status()).toBe(401);
  } finally {
    await stranger.close();
  }
  // The page itself got in with the token, which then left the address bar for a cookie.
  expect(page.url()).toBe(stack.server.url);
  expect(await page.locator('#stack-info').textContent()).toMatch(/^Local stack/);
});

// The load time is printed, not asserted: the machines are shared, and a bound in ms would flake.
// What makes the page fast, its weight, is asserted.
test('the page weighs a few kilobytes (its load time is printed)', async () => {
  const fresh = await chromium.context.newPage();
  try {
    await fresh.goto(stack.server.url, { waitUntil: 'load' });
    await fresh.locator('#messages').waitFor();
    const timing = await fresh.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const assets = resources.filter((r) => /\/console\.(js|css)$/.test(r.name));
      return {
        loadMs: nav.loadEventEnd - nav.startTime,
        bytes: nav.encodedBodySize + assets.reduce((sum, r) => sum + r.encodedBodySize, 0),
      };
    });
    console.log(
      `console page: load event after ${timing.loadMs.toFixed(0)} ms, ${timing.bytes} bytes of HTML, CSS and script`,
    );
    expect(timing.loadMs).toBeGreaterThan(0);
    expect(timing.bytes).toBeLessThan(50_000);
  } finally {
    await fresh.close();
  }
});

test('the list shows a message sent through the simulator within seconds, without a reload', async () => {
  const list = await chromium.context.newPage();
  try {
    await list.goto(`${stack.server.url}#/messages`);
    await list.locator('#messages').waitFor();
    const id = await sendFromForm('+15555550100', 'console list test');
    expect(id).toMatch(/^rf_/);
    const sent = Date.now();
    const row = list.locator(`#messages tr[data-message-id="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect((Date.now() - sent) / 1000).toBeLessThan(10);
    expect(await row.textContent()).toContain('console list test');
  } finally {
    await list.close();
  }
});

test('the timeline shows the message’s events in occurredAt order, the last one current', async () => {
  const id = await sendFromForm('+15555550101', 'console timeline test');
  await page.locator('#send-result a').click();
  expect(page.url()).toContain(`#/message/${id}`);
  // sent, then finalized (delivered): wait for both to be stored.
  const rows = page.locator('#timeline tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#timeline tbody tr').length >= 2, undefined, {
    timeout: 15_000,
  });
  const cells = await rows.evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')),
  );
  const times = cells.map((c) => c[0] ?? '');
  expect([...times].sort()).toEqual(times);
  expect(cells.map((c) => c[1])).toEqual(['message.sent', 'message.finalized']);
  expect(cells[1]?.[4]).toBe('defines the current state');
  expect(cells[0]?.[4]).toBe('applied, later superseded');
});

test('an event Volt delivered twice is marked as a duplicate on its timeline, read from the archive', async () => {
  stack.volt.setDeliveryOptions({ duplicates: 1 });
  try {
    const id = stack.volt.createMessage({
      to: '+15555550102',
      from: FROM,
      body: 'console duplicate test',
      media: [],
    }).id;
    if (id === null) throw new Error('an outbound message has an id');
    await page.goto(`${stack.server.url}#/message/${encodeURIComponent(id)}`);
    // sent and finalized, each delivered twice: both rows marked once their copies are archived.
    await page.waitForFunction(
      () => document.querySelectorAll('#timeline tbody tr[data-duplicate="true"]').length >= 2,
      undefined,
      { timeout: 20_000 },
    );
    const marks = await page.locator('#timeline tbody tr td:nth-child(6)').allTextContents();
    expect(marks).toEqual(['duplicate delivered 2 times', 'duplicate delivered 2 times']);
    expect(await page.locator('#archive-status').textContent()).toMatch(/^archive read: \d+ hour\(s\) of s3:\/\//);
  } finally {
    await stack.volt.idle();
    stack.volt.setDeliveryOptions({ duplicates: 0 });
  }
});

test('a failed message appears in the failures chart, by its error code', async () => {
  await page.goto(`${stack.server.url}#/failures`);
  await page.locator('#failure-total').waitFor();
  const before = Number(/^(\d+)/.exec((await page.locator('#failure-total').textContent()) ?? '')?.[1]);
  const id = await sendFromForm(SPAM, 'console failure test');
  expect(id).toMatch(/^rf_/);
  await page.goto(`${stack.server.url}#/failures`);
  await page.waitForFunction(
    (n) => Number(/^(\d+)/.exec(document.getElementById('failure-total')?.textContent ?? '')?.[1]) > n,
    before,
    { timeout: 15_000 },
  );
  const legend = await page.locator('ul.legend').first().textContent();
  expect(legend).toMatch(/\d+ .+: 1/);
  expect(await page.locator('figure.chart svg rect').count()).toBeGreaterThan(0);
});

test('the health view shows the queues, the last accepted webhook and the quarantine by reason', async () => {
  await page.goto(`${stack.server.url}#/health`);
  await page.locator('#queues').waitFor();
  expect(await page.locator('#queues tbody th').allTextContents()).toContain('state');
  expect(await page.locator('#health').textContent()).toMatch(/Last accepted webhook: .*newest updatedAt/);
  // The local quarantine's records, by reason (the count depends on what the stack rejected so far).
  await page.locator('#rejections').waitFor();
});
