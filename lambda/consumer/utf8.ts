/**
 * Byte-bounded strings. DynamoDB counts every limit (400 KB per item, 2,048 bytes per partition
 * key, 1,024 per sort key) in UTF-8 bytes, while JavaScript lengths count UTF-16 code units: a
 * string of 1,000 units may take 3,000 bytes. Nothing here talks to AWS.
 */

/** UTF-8 bytes of one code point (a lone surrogate counts 3, as the U+FFFD it is encoded as). */
function codePointBytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** UTF-8 length of a string, as DynamoDB counts it. */
export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * The longest prefix of `value` that takes at most `maxBytes` UTF-8 bytes, cut between code
 * points: a surrogate pair is kept whole or dropped whole, so the cut never makes a lone
 * surrogate that was not already there.
 */
export function cutToUtf8Bytes(value: string, maxBytes: number): string {
  // Every UTF-16 unit takes at most 3 bytes: short strings need no walk.
  if (value.length * 3 <= maxBytes) return value;
  let bytes = 0;
  let end = 0;
  while (end < value.length) {
    const codePoint = value.codePointAt(end)!;
    const size = codePointBytes(codePoint);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += codePoint > 0xffff ? 2 : 1;
  }
  return value.slice(0, end);
}

/**
 * `value` with every lone surrogate replaced by U+FFFD and cut to `maxBytes`: a valid UTF-8
 * string within the bound, fit for a key attribute. (An SQS attribute refuses more: see
 * `toSqsText` in common/queue-message.ts.) The replacement comes first, so the bound holds for
 * what is stored.
 */
export function wellFormedWithin(value: string, maxBytes: number): string {
  return cutToUtf8Bytes(value.toWellFormed(), maxBytes);
}

/**
 * The first `maxUnits` UTF-16 code units of `value`, one fewer when the cut would split a
 * surrogate pair. At most `3 * maxUnits` UTF-8 bytes.
 */
export function cutToUnits(value: string, maxUnits: number): string {
  if (value.length <= maxUnits) return value;
  const last = value.charCodeAt(maxUnits - 1);
  const next = value.charCodeAt(maxUnits);
  const splitsPair = last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
  return value.slice(0, splitsPair ? maxUnits - 1 : maxUnits);
}
