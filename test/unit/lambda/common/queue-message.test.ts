import fc from 'fast-check';
import { InvalidEventError } from '../../../../lambda/common/errors';
import {
  BASE64_BODY_ENCODING,
  decodeQueueBody,
  isSqsText,
  queueBody,
  queueBodyOfJson,
  queueMessageBytes,
  toSqsText,
} from '../../../../lambda/common/queue-message';
import { firstRefusedCodePoint } from '../../../../local/sqs-rules';

// The product's side of SQS's character rule, checked against the SQS stand-in's side
// (local/sqs-rules.ts, written code point by code point from the API reference).

/** Strings that often hold the characters at the edges of the rule. */
const EDGES = [
  '\u0000',
  '\u0008',
  '\t',
  '\n',
  '\u000b',
  '\r',
  '\u001f',
  ' ',
  '\u007f',
  '\ud7ff',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '\ue000',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{10000}',
  '😀',
  '\u{10ffff}',
];
const anyCodeUnits = fc
  .array(
    fc.oneof(
      fc.constantFrom(...EDGES),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));

describe('the SQS character rule', () => {
  it('agrees with the stand-in on any string, lone surrogates included', () => {
    fc.assert(
      fc.property(anyCodeUnits, (s) => {
        expect(isSqsText(s)).toBe(firstRefusedCodePoint(s) === undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('cleans any string into one the stand-in accepts, and leaves accepted ones as they are', () => {
    fc.assert(
      fc.property(anyCodeUnits, (s) => {
        const cleaned = toSqsText(s);
        expect(firstRefusedCodePoint(cleaned)).toBeUndefined();
        if (isSqsText(s)) expect(cleaned).toBe(s);
        // One U+FFFD per refused code unit or code point: lengths in UTF-16 units are kept.
        expect(cleaned).toHaveLength(s.length);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['U+0000', 'a\u0000b', 'a\ufffdb'],
    ['U+001F', '\u001f', '\ufffd'],
    ['U+FFFE and U+FFFF', 'x\ufffe\uffffy', 'x\ufffd\ufffdy'],
    ['a lone high surrogate', 'rf_\ud800', 'rf_\ufffd'],
    ['a lone low surrogate', '\udc00rf', '\ufffdrf'],
    ['tab, LF and CR (allowed)', 'a\tb\nc\rd', 'a\tb\nc\rd'],
    ['U+FFFD and an astral character (allowed)', '\ufffd😀', '\ufffd😀'],
  ])('toSqsText: %s', (_name, value, expected) => {
    expect(toSqsText(value)).toBe(expected);
  });
});

describe('queue bodies', () => {
  it.each([
    ['plain JSON', '{"id":"rfw_1","payload":{"text":"hi"}}', false],
    ['JSON with escaped controls and a lone surrogate (still only ASCII in the text)', '{"t":"\\u0000\\ud800"}', false],
    ['JSON with U+FFFD, emoji and a tab between tokens', '{"t":"\ufffd😀"}\t', false],
    ['JSON with a raw U+FFFE in a string', '{"t":"a\ufffeb"}', true],
    ['JSON with a raw U+FFFF in a string', '{"t":"\uffff"}', true],
  ])('%s: encoded only when SQS would refuse it', (_name, json, encoded) => {
    const sent = queueBodyOfJson(json);
    expect(sent).toEqual(queueBody(json));
    expect(sent.encoding).toBe(encoded ? BASE64_BODY_ENCODING : undefined);
    expect(firstRefusedCodePoint(sent.body)).toBeUndefined();
    // What a subscriber gets back: the exact bytes, and the text to parse.
    expect(queueMessageBytes(sent.body, sent.encoding).equals(Buffer.from(json, 'utf8'))).toBe(true);
    expect(decodeQueueBody(sent.body, sent.encoding)).toBe(json);
  });

  it('decides for any JSON body as the full check would', () => {
    fc.assert(
      fc.property(fc.jsonValue(), anyCodeUnits, (value, text) => {
        // JSON.stringify escapes controls but writes U+FFFE and U+FFFF raw, as a sender may; a
        // lone surrogate cannot arrive raw in UTF-8, so the text is made well-formed first.
        const json = JSON.stringify({ value, text: text.toWellFormed() });
        expect(queueBodyOfJson(json)).toEqual(queueBody(json));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an encoding it does not know, and encoded bytes that are not UTF-8', () => {
    expect(() => queueMessageBytes('e30=', 'gzip')).toThrow(InvalidEventError);
    expect(() => decodeQueueBody('e30=', 'gzip')).toThrow(/unknown bodyEncoding "gzip"/);
    expect(() => decodeQueueBody(Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), 'base64')).toThrow(
      /not valid UTF-8/,
    );
  });
});
