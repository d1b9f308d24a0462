import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConsoleData, type MessageDetail } from '../../../cli/console/data';
import { resolveStackContext } from '../../../cli/stack-context';
import { SIGNATURE_HEADER, signBody } from '../../../lambda/common/signature';
import { STACK_OUTPUTS } from '../../../lib/stack-outputs';
import { localStackFileOf, writeLocalStackFile } from '../../../local/stack-file';
import { testKeyPair } from '../../helpers/keys';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { postLikeVolt } from '../../helpers/volt-post';
import { waiter } from '../../helpers/wait';

// The console's timeline on the local stack with the archive on: an event Volt delivered twice
// is stored once in the message's history and twice in the archive, and the timeline's data,
// read through `.local/stack.json` as `volt-webhooks console --local` reads it, says so.

const key = testKeyPair('console-archive');
const waitFor = waiter({ timeoutMs: 45_000 });
const newId = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

function event(messageId: string, eventType: string, status: string, occurredAt: Date): { id: string; raw: string } {
  const id = newId('rfw');
  const raw = JSON.stringify({
    type: 'messaging',
    id,
    payload: {
      event_type: eventType,
      id: messageId,
      message_app_id: newId('app'),
      status,
      occurred_at: occurredAt.toISOString(),
      direction: 'outbound',
      to_number: '+15555550123',
      from_number: '+15555550100',
      text: 'delivered twice',
    },
  });
  return { id, raw };
}

describe('the console timeline reads duplicate deliveries from the archive', () => {
  let product: ProductStack;
  let dir: string;
  let data: ConsoleData;
  let withoutArchive: ConsoleData;

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-console-archive',
      context: { voltPublicKeys: JSON.stringify([key.formats.spkiPem]), archiveBatchWindowSeconds: '1' },
    });
    dir = mkdtempSync(path.join(tmpdir(), 'console-archive-'));
    const file = path.join(dir, '.local', 'stack.json');
    writeLocalStackFile(
      file,
      localStackFileOf(product.stack, { graphqlUrl: 'http://127.0.0.1:9/graphql', token: 't' }, 'unused.pem'),
    );
    const ctx = await resolveStackContext({ localFile: file });
    expect(ctx.outputs[STACK_OUTPUTS.archiveBucketName]).toBeDefined();
    data = new ConsoleData(ctx);
    const outputs = { ...ctx.outputs };
    delete outputs[STACK_OUTPUTS.archiveBucketName];
    withoutArchive = new ConsoleData({ ...ctx, outputs });
  }, 120_000);

  afterAll(async () => {
    data?.close();
    withoutArchive?.close();
    await product?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function post(raw: string): Promise<void> {
    const res = await postLikeVolt(product.stack.webhookUrl ?? 'http://127.0.0.1:9/none', {
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(key.privateKey, raw) },
      body: raw,
    });
    expect(res.status).toBe(200);
  }

  test('an event posted twice is marked delivered twice, a distinct one once', async () => {
    const messageId = newId('rf');
    const sent = event(messageId, 'message.sent', 'sent', new Date(Date.now() - 2000));
    const finalized = event(messageId, 'message.finalized', 'delivered', new Date());
    // The same signed body twice, as Volt retries it: the same webhook id, two receipts.
    await post(sent.raw);
    await post(sent.raw);
    await post(finalized.raw);

    const detail = await waitFor('both events stored and their deliveries archived', async () => {
      const found: MessageDetail | undefined = await data.message(messageId).catch(() => undefined);
      const counts = found?.timeline.map((e) => e.deliveries);
      return found?.archive.state === 'read' && counts?.length === 2 && counts.every((n) => n !== undefined && n > 0)
        ? found
        : undefined;
    });
    expect(detail.timeline.map((e) => [e.webhookId, e.eventType, e.deliveries, e.duplicate, e.role])).toEqual([
      [sent.id, 'message.sent', 2, true, 'superseded'],
      [finalized.id, 'message.finalized', 1, false, 'current'],
    ]);
    expect(detail.timeline[0]?.receivedAt).toHaveLength(2);
    expect(detail.unrecorded).toEqual([]);

    // The same request, timed: with the archive (reads cached, as on the page's refresh), a first
    // look from a fresh reader, and without the archive.
    const time = async (source: ConsoleData) => {
      const started = process.hrtime.bigint();
      const answer = await source.message(messageId);
      return { ms: Number(process.hrtime.bigint() - started) / 1e6, answer };
    };
    const fresh = new ConsoleData(data.ctx);
    try {
      const first = await time(fresh);
      const again = await time(data);
      const off = await time(withoutArchive);
      console.log(
        `timeline request on the local stack: ${first.ms.toFixed(1)} ms with the archive (first look, ` +
          `${first.answer.archive.objectsRead ?? 0} objects read), ${again.ms.toFixed(1)} ms on a refresh, ` +
          `${off.ms.toFixed(1)} ms without the archive`,
      );
      expect(first.answer.timeline.map((e) => e.deliveries)).toEqual([2, 1]);
      expect(off.answer.archive.state).toBe('off');
      expect(off.answer.timeline.map((e) => e.deliveries)).toEqual([undefined, undefined]);
    } finally {
      fresh.close();
    }
  }, 90_000);

  test('with the S3 stand-in failing, the timeline still answers from the table: "archive not available"', async () => {
    const messageId = newId('rf');
    const sent = event(messageId, 'message.sent', 'sent', new Date());
    await post(sent.raw);
    await waitFor('the event stored', () => data.message(messageId).catch(() => undefined));
    product.stack.faults.s3 = () => ({ kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' });
    try {
      const fresh = new ConsoleData(data.ctx);
      try {
        const detail = await fresh.message(messageId);
        expect(detail.archive.state).toBe('unavailable');
        expect(detail.archive.detail).toMatch(/^archive not available: /);
        expect(detail.timeline.map((e) => [e.webhookId, e.deliveries])).toEqual([[sent.id, undefined]]);
      } finally {
        fresh.close();
      }
    } finally {
      delete product.stack.faults.s3;
    }
  }, 60_000);
});
