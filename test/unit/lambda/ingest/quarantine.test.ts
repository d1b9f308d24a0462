import {
  MAX_QUARANTINED_BODY_BYTES,
  parseQuarantineRecord,
  quarantineMessageBody,
  quarantineRecord,
  TokenBucket,
} from '../../../../lambda/ingest/quarantine';
import { firstRefusedCodePoint } from '../../../../local/sqs-rules';

describe('TokenBucket', () => {
  it('allows a burst up to the per-minute cap, then refuses', () => {
    const bucket = new TokenBucket(3, () => 0);
    expect([1, 2, 3, 4, 5].map(() => bucket.tryTake())).toEqual([true, true, true, false, false]);
  });

  it('refills at the per-minute rate', () => {
    let now = 0;
    const bucket = new TokenBucket(6, () => now);
    for (let i = 0; i < 6; i++) bucket.tryTake();
    now = 9_999;
    expect(bucket.tryTake()).toBe(false);
    now = 10_000; // one token per 10 s
    expect(bucket.tryTake()).toBe(true);
    expect(bucket.tryTake()).toBe(false);
  });

  it('never holds more than the cap, however long it was idle', () => {
    let now = 0;
    const bucket = new TokenBucket(2, () => now);
    now = 24 * 3600 * 1000;
    expect([1, 2, 3].map(() => bucket.tryTake())).toEqual([true, true, false]);
  });

  it('keeps nothing with a cap of 0', () => {
    expect(new TokenBucket(0, () => 0).tryTake()).toBe(false);
  });
});

describe('quarantineRecord', () => {
  it('round-trips the exact bytes, signature and reason', () => {
    const body = Buffer.from([0xff, 0x00, 0x7b, 0x22]);
    const record = parseQuarantineRecord(
      JSON.stringify(
        quarantineRecord({
          reason: 'signature_mismatch',
          statusCode: 401,
          body,
          signature: 'c2ln',
          receivedAt: new Date(0),
        }),
      ),
    );
    expect(Buffer.from(record.bodyBase64, 'base64')).toEqual(body);
    expect(record).toMatchObject({
      reason: 'signature_mismatch',
      statusCode: 401,
      signature: 'c2ln',
      bodyBytes: 4,
      truncated: false,
      receivedAt: '1970-01-01T00:00:00.000Z',
    });
  });

  it('truncates the body to the limit and says so', () => {
    const record = quarantineRecord({
      reason: 'invalid_event',
      statusCode: 400,
      body: Buffer.alloc(100, 1),
      receivedAt: new Date(),
      maxBodyBytes: 10,
    });
    expect(Buffer.from(record.bodyBase64, 'base64')).toHaveLength(10);
    expect(record).toMatchObject({ bodyBytes: 100, truncated: true });
    expect(record).not.toHaveProperty('signature');
  });

  it('stays under the SQS message limit at the largest body', () => {
    const record = quarantineRecord({
      reason: 'signature_mismatch',
      statusCode: 401,
      body: Buffer.alloc(300 * 1024),
      signature: 'x'.repeat(10_000),
      receivedAt: new Date(),
    });
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(256 * 1024);
    expect(Buffer.from(record.bodyBase64, 'base64')).toHaveLength(MAX_QUARANTINED_BODY_BYTES);
  });

  it('writes a body SQS accepts whatever the signature header held, and parses back to the same record', () => {
    // An attacker's header: U+FFFF and U+FFFE raw, a control character, half of a surrogate pair.
    const signature = 'abc\uffff\ufffe\u0001\ud83d';
    const record = quarantineRecord({
      reason: 'signature_malformed',
      statusCode: 401,
      body: Buffer.from('{}'),
      signature,
      receivedAt: new Date(0),
    });
    const text = quarantineMessageBody(record);
    expect(firstRefusedCodePoint(text)).toBeUndefined();
    expect(parseQuarantineRecord(text)).toEqual(record);
    expect(parseQuarantineRecord(text).signature).toBe(signature);
  });

  it('refuses a message that is not a quarantine record', () => {
    expect(() => parseQuarantineRecord('{"id":"rfw_1"}')).toThrow(/not a quarantine record/);
    expect(() => parseQuarantineRecord('nope')).toThrow(/not JSON/);
  });
});
