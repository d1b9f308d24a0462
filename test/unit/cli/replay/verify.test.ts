import { KeyRing } from '../../../../lambda/common/key-ring';
import { DEFAULT_SCHEME, parseScheme, signBody } from '../../../../lambda/common/signature';
import { attributesOf, RecordChecker } from '../../../../cli/replay/verify';
import { signedRecord, webhookBody } from '../../../helpers/archive-records';
import { testKeyPair } from '../../../helpers/keys';

const volt = testKeyPair('volt');
const other = testKeyPair('other');
const AT = '2026-11-29T10:00:00.000Z';

describe('replay record check', () => {
  it('passes a record signed by a trusted key, with attributes read from the signed body', async () => {
    const record = signedRecord(volt.privateKey, {
      webhookId: 'rfw_1',
      messageId: 'rf_1',
      eventType: 'message.finalized',
      receivedAt: AT,
    });
    const checked = await new RecordChecker(new KeyRing({ pinned: [volt.publicKey] }), DEFAULT_SCHEME).check(record);
    expect(checked).toEqual({
      ok: true,
      body: record.body,
      attributes: {
        webhookId: 'rfw_1',
        messageId: 'rf_1',
        eventType: 'message.finalized',
        receivedAt: AT,
        signature: record.signature,
      },
    });
  });

  it('refuses a body changed after archiving, a foreign signature and a missing one', async () => {
    const checker = new RecordChecker(new KeyRing({ pinned: [volt.publicKey] }), DEFAULT_SCHEME);
    const record = signedRecord(volt.privateKey, { webhookId: 'rfw_1', receivedAt: AT });
    const tampered = { ...record, body: record.body.replace('"sent"', '"failed"') };
    const foreign = signedRecord(other.privateKey, { webhookId: 'rfw_2', receivedAt: AT });
    for (const [bad, reason] of [
      [tampered, /does not verify/],
      [foreign, /does not verify/],
      [{ ...record, signature: '' }, /missing/],
    ] as const) {
      const checked = await checker.check(bad);
      expect(checked.ok).toBe(false);
      if (!checked.ok)
        expect(checked.refused).toMatchObject({
          webhookId: bad.webhookId,
          receivedAt: AT,
          reason: expect.stringMatching(reason),
        });
    }
  });

  it('refuses a record whose ids or type were changed while its body and signature were kept', () => {
    const record = signedRecord(volt.privateKey, { webhookId: 'rfw_1', receivedAt: AT });
    expect(() => attributesOf({ ...record, webhookId: 'rfw_9' })).toThrow(/webhookId does not match/);
    expect(() => attributesOf({ ...record, messageId: 'rf_9' })).toThrow(/messageId does not match/);
    expect(() => attributesOf({ ...record, eventType: 'message.received' })).toThrow(/eventType does not match/);
    expect(() => attributesOf({ ...record, receivedAt: 'soon' })).toThrow(/receivedAt/);
  });

  it('accepts the ids as the ingest cleaned them for SQS', () => {
    const body = webhookBody('rfw_\uFFFF', 'rf_1', 'message.sent');
    const record = {
      ...signedRecord(volt.privateKey, { webhookId: 'rfw_\uFFFD', messageId: 'rf_1', receivedAt: AT, body }),
    };
    expect(attributesOf(record).webhookId).toBe('rfw_\uFFFF');
  });

  it('verifies under the configured scheme only', async () => {
    const pss = parseScheme('pss-sha256-hex');
    const signed = signedRecord(volt.privateKey, { webhookId: 'rfw_1', receivedAt: AT });
    const record = { ...signed, signature: signBody(volt.privateKey, signed.body, pss) };
    const keys = new KeyRing({ pinned: [volt.publicKey] });
    expect((await new RecordChecker(keys, pss).check(record)).ok).toBe(true);
    expect((await new RecordChecker(keys, DEFAULT_SCHEME).check(record)).ok).toBe(false);
  });

  it('fetches a key URL again once after a failure, for a key rotated since', async () => {
    const served = [other.formats.spkiPem, volt.formats.spkiPem];
    const fetchText = jest.fn(() => Promise.resolve(served.shift() ?? volt.formats.spkiPem));
    let now = 0;
    const ring = new KeyRing({ url: 'https://keys.invalid/id_rsa.pub', fetchText, now: () => (now += 10 * 60_000) });
    const record = signedRecord(volt.privateKey, { webhookId: 'rfw_1', receivedAt: AT });
    expect((await new RecordChecker(ring, DEFAULT_SCHEME).check(record)).ok).toBe(true);
    expect(fetchText).toHaveBeenCalledTimes(2);
  });

  it('with --no-verify skips the signature but still checks the fields', async () => {
    const checker = new RecordChecker(undefined, DEFAULT_SCHEME);
    const record = signedRecord(other.privateKey, { webhookId: 'rfw_1', receivedAt: AT });
    expect((await checker.check(record)).ok).toBe(true);
    expect((await checker.check({ ...record, webhookId: 'rfw_2' })).ok).toBe(false);
  });
});
