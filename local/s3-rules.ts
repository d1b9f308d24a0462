import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';

/**
 * Rules real S3 enforces that s3rver does not, checked in front of the S3 stand-in
 * (`local/standins.ts`), for what the archive relies on: an object key is at most 1,024 bytes of
 * UTF-8 (`KeyTooLongError`); a `Content-MD5`, an `x-amz-checksum-crc32`/`-sha1`/`-sha256` or a
 * hex `x-amz-content-sha256` sent with a body must match the bytes received (`BadDigest`,
 * `InvalidDigest`, `XAmzContentSHA256Mismatch`), so a corrupted upload is refused, not stored.
 * Requests are read path-style (`/<bucket>/<key>`): the local endpoints are IP addresses, for
 * which the SDK's S3 endpoint rules choose path-style addressing by themselves.
 */

/** S3's limit on a key, in bytes of its UTF-8 encoding. */
export const MAX_KEY_BYTES = 1024;

/** One S3 request, as far as the rules and the fault hook read it. */
export interface S3Call {
  /** `GET`, `PUT`, `HEAD`, `DELETE`, `POST`. */
  readonly method: string;
  /** Empty for the service itself (ListBuckets). */
  readonly bucket: string;
  /** The object key, decoded; empty for a bucket request. */
  readonly key: string;
  /** The query's parameter names (`list-type`, `versioning`, `delete`...). */
  readonly query: readonly string[];
}

/** An error answer in S3's XML shape. */
export interface S3ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

export function s3ErrorAnswer(status: number, code: string, message: string, resource = ''): S3ErrorAnswer {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body:
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>` +
      `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`,
  };
}

/** Reads the bucket and key of a path-style request URL (`/bucket/some/key?x-id=PutObject`). */
export function parseS3Call(method: string, url: string): S3Call {
  const parsed = new URL(url, 'http://local');
  const [bucket = '', ...rest] = parsed.pathname.slice(1).split('/');
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  return {
    method: method.toUpperCase(),
    bucket: decode(bucket),
    key: rest.map(decode).join('/'),
    query: [...parsed.searchParams.keys()],
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The digests a client may send with a body: header, how to compute it, how S3 names a mismatch. */
const CHECKSUMS: readonly { header: string; name: string; compute: (body: Buffer) => string }[] = [
  { header: 'content-md5', name: 'Content-MD5', compute: (b) => createHash('md5').update(b).digest('base64') },
  {
    header: 'x-amz-checksum-crc32',
    name: 'CRC32',
    compute: (b) => {
      const sum = Buffer.alloc(4);
      sum.writeUInt32BE(crc32(b));
      return sum.toString('base64');
    },
  },
  { header: 'x-amz-checksum-sha1', name: 'SHA1', compute: (b) => createHash('sha1').update(b).digest('base64') },
  { header: 'x-amz-checksum-sha256', name: 'SHA256', compute: (b) => createHash('sha256').update(b).digest('base64') },
];

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function digestProblem(headers: IncomingHttpHeaders, body: Buffer, resource: string): S3ErrorAnswer | undefined {
  for (const checksum of CHECKSUMS) {
    const sent = header(headers, checksum.header);
    if (sent === undefined) continue;
    if (!BASE64.test(sent))
      return s3ErrorAnswer(400, 'InvalidDigest', `The ${checksum.name} you specified was invalid.`, resource);
    if (sent !== checksum.compute(body))
      return s3ErrorAnswer(
        400,
        'BadDigest',
        `The ${checksum.name} you specified did not match the calculated checksum.`,
        resource,
      );
  }
  const contentSha = header(headers, 'x-amz-content-sha256');
  if (contentSha && /^[0-9a-f]{64}$/.test(contentSha)) {
    if (contentSha !== createHash('sha256').update(body).digest('hex'))
      return s3ErrorAnswer(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        resource,
      );
  }
  return undefined;
}

/** The error real S3 would answer `call` with, or `undefined` when the stand-in may serve it. */
export function applyS3Rules(call: S3Call, headers: IncomingHttpHeaders, body: Buffer): S3ErrorAnswer | undefined {
  const resource = `/${call.bucket}${call.key ? `/${call.key}` : ''}`;
  if (Buffer.byteLength(call.key, 'utf8') > MAX_KEY_BYTES)
    return s3ErrorAnswer(400, 'KeyTooLongError', 'Your key is too long', resource);
  if (call.method === 'PUT' || call.method === 'POST') return digestProblem(headers, body, resource);
  return undefined;
}

/**
 * A body sent `aws-chunked` (`x-amz-content-sha256: STREAMING-...`, what SDKs and the AWS CLI
 * use to stream an upload with a trailing checksum): its payload and its trailing headers, so
 * the stand-in stores the payload, not the framing, and the trailing checksum is checked like
 * a header. `undefined` when the framing is broken.
 */
export function decodeAwsChunked(body: Buffer): { payload: Buffer; trailers: Record<string, string> } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) return undefined;
    at = lineEnd + 2;
    if (size === 0) break;
    if (at + size > body.length) return undefined;
    parts.push(body.subarray(at, at + size));
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of body.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { payload: Buffer.concat(parts), trailers };
}

/**
 * The request as the stand-in should see it: an `aws-chunked` body decoded, its trailing
 * checksum moved into the headers and its framing headers dropped. A plain request is returned
 * as it is; `undefined` when an `aws-chunked` body does not parse.
 */
export function unchunked(
  headers: IncomingHttpHeaders,
  body: Buffer,
): { headers: IncomingHttpHeaders; body: Buffer } | undefined {
  const sha = header(headers, 'x-amz-content-sha256') ?? '';
  if (!sha.startsWith('STREAMING-')) return { headers, body };
  const decoded = decodeAwsChunked(body);
  if (!decoded) return undefined;
  const rest: IncomingHttpHeaders = { ...headers, ...decoded.trailers };
  delete rest['x-amz-decoded-content-length'];
  delete rest['x-amz-trailer'];
  rest['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  rest['content-length'] = String(decoded.payload.length);
  const encoding = (header(headers, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '' && e !== 'aws-chunked');
  if (encoding.length > 0) rest['content-encoding'] = encoding.join(',');
  else delete rest['content-encoding'];
  return { headers: rest, body: decoded.payload };
}
