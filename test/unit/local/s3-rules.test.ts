import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { decodeAwsChunked, MAX_KEY_BYTES } from '../../../local/s3-rules';
import { startStandins, type Standins } from '../../../local/standins';

// The S3 stand-in (s3rver behind local/s3-rules.ts) speaks S3's wire protocol to the SDK with any
// credentials, and refuses what real S3 refuses that the archive relies on: keys over 1,024 bytes,
// a body that does not match its Content-MD5 or checksum, a bucket that does not exist.

const BUCKET = 'rules-bucket';

async function errorOf(promise: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (err: unknown) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  throw new Error('the request succeeded');
}

describe('the S3 stand-in', () => {
  let standins: Standins;
  let s3: S3Client;

  beforeAll(async () => {
    standins = await startStandins({ region: 'us-east-1', accountId: '000000000000' });
    s3 = new S3Client({
      region: 'us-east-1',
      endpoint: standins.s3Endpoint,
      credentials: { accessKeyId: 'anything', secretAccessKey: 'at-all' },
      maxAttempts: 1,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    s3?.destroy();
    await standins?.stop();
  });

  afterEach(() => {
    delete standins.faults.s3;
  });

  const get = async (key: string) =>
    Buffer.from(
      (await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body?.transformToByteArray()) ?? [],
    );

  test('keeps bytes as written and lists them by prefix, path-style on its IP endpoint', async () => {
    const bytes = Buffer.from([0x1f, 0x8b, 0x00, 0xff, 0x0a, 0xc3, 0xa9]);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deliveries/2026/11/29/21/a.ndjson.gz', Body: bytes }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deliveries/2026/11/29/22/b.ndjson.gz', Body: 'x' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'deliveries/2026/11/29/21/' }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(['deliveries/2026/11/29/21/a.ndjson.gz']);
    expect(await get('deliveries/2026/11/29/21/a.ndjson.gz')).toEqual(bytes);
  });

  test('refuses a key over 1,024 bytes of UTF-8, counted in bytes, not characters', async () => {
    // s3rver keeps each key segment as a file name (at most 255 bytes on Linux): segments of 201 bytes.
    const fits = `${`${'é'.repeat(100)}/`.repeat(5)}${'é'.repeat(9)}a`;
    expect(Buffer.byteLength(fits)).toBe(MAX_KEY_BYTES);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: fits, Body: 'ok' }));
    expect((await get(fits)).toString()).toBe('ok');
    const tooLong = `${fits}a`;
    expect(tooLong.length).toBeLessThan(MAX_KEY_BYTES);
    const err = await errorOf(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: tooLong, Body: 'no' })));
    expect(err.name).toBe('KeyTooLongError');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  test('refuses a body that does not match its Content-MD5, and stores one that does', async () => {
    const md5 = (text: string) => createHash('md5').update(text).digest('base64');
    const err = await errorOf(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'md5', Body: 'tampered', ContentMD5: md5('original') })),
    );
    expect(err.name).toBe('BadDigest');
    await expect(get('md5')).rejects.toThrow();
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'md5', Body: 'original', ContentMD5: md5('original') }));
    expect((await get('md5')).toString()).toBe('original');
  });

  test('refuses a body that does not match its CRC32 checksum, and a malformed digest', async () => {
    const put = (headers: Record<string, string>) =>
      fetch(`${standins.s3Endpoint}/${BUCKET}/crc`, { method: 'PUT', body: 'payload', headers });
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32('other'));
    const bad = await put({ 'x-amz-checksum-crc32': sum.toString('base64') });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('<Code>BadDigest</Code>');
    const malformed = await put({ 'content-md5': 'not base64!' });
    expect(await malformed.text()).toContain('<Code>InvalidDigest</Code>');
    sum.writeUInt32BE(crc32('payload'));
    expect((await put({ 'x-amz-checksum-crc32': sum.toString('base64') })).status).toBe(200);
  });

  test('stores the payload of a streamed (aws-chunked) upload, not its framing', async () => {
    const payload = Buffer.from('{"id":"rfw_1"}\n'.repeat(500));
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'streamed',
        Body: Readable.from([payload.subarray(0, 3000), payload.subarray(3000)]),
        ContentLength: payload.length,
      }),
    );
    expect(await get('streamed')).toEqual(payload);
  });

  test('refuses an object in a bucket that does not exist', async () => {
    const err = await errorOf(s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })));
    expect(err.name).toBe('NoSuchBucket');
  });

  test('a fault hook answers requests with an error until it is removed', async () => {
    const seen: string[] = [];
    standins.faults.s3 = (call) => {
      seen.push(`${call.method} ${call.bucket}/${call.key}`);
      return { kind: 'error', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' };
    };
    const err = await errorOf(s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faulty/k', Body: 'x' })));
    expect(err.name).toBe('SlowDown');
    expect(seen).toEqual([`PUT ${BUCKET}/faulty/k`]);
    delete standins.faults.s3;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'faulty/k', Body: 'x' }));
    expect((await get('faulty/k')).toString()).toBe('x');
  });
});

describe('aws-chunked bodies', () => {
  test('decode to their payload and trailing headers', () => {
    const framed = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
    );
    expect(decodeAwsChunked(framed)).toEqual({
      payload: Buffer.from('hello world'),
      trailers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
    });
  });

  test('a chunk longer than the body is broken framing, not a short payload', () => {
    expect(decodeAwsChunked(Buffer.from('ff\r\nshort\r\n0\r\n\r\n'))).toBeUndefined();
    expect(decodeAwsChunked(Buffer.from('zz\r\n'))).toBeUndefined();
  });
});
