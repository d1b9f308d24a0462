import * as fc from 'fast-check';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signBody } from '../../../../lambda/common/signature';
import { webhookEvent } from '../../../helpers/api-event';
import { loadIngestHarness, type IngestHarness } from '../../../helpers/ingest-harness';
import { testKeyPair } from '../../../helpers/keys';

// Property: once Volt has signed a body, no change to the body bytes or to the signature bytes
// gets anything past the ingest handler: 401, nothing enqueued.

const volt = testKeyPair('volt');
const HEADER = 'x-respond-flow-signature';
const STATE = 'https://sqs.us-east-1.amazonaws.com/123456789012/state';

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly byte: number }
  | { readonly kind: 'delete'; readonly at: number }
  | { readonly kind: 'truncate'; readonly keep: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
);

/** Applies a mutation; every mutation of a non-empty buffer yields different bytes. */
function mutate(bytes: Buffer, m: Mutation): Buffer {
  const out = Buffer.from(bytes);
  switch (m.kind) {
    case 'flip': {
      const at = m.at % out.length;
      out[at] = (out[at] ?? 0) ^ (1 << m.bit);
      return out;
    }
    case 'insert': {
      const at = m.at % (out.length + 1);
      return Buffer.concat([out.subarray(0, at), Buffer.from([m.byte]), out.subarray(at)]);
    }
    case 'delete': {
      const at = m.at % out.length;
      return Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
    }
    case 'truncate':
      return out.subarray(0, m.keep % out.length);
  }
}

/** Realistic signed events: an envelope with arbitrary Unicode text and ids. */
const eventBody: fc.Arbitrary<Buffer> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    eventType: fc.constantFrom('message.sent', 'message.finalized', 'message.received', 'message.other'),
    text: fc.string({ unit: 'grapheme', maxLength: 200 }),
    extra: fc.jsonValue({ maxDepth: 3 }),
  })
  .map(({ id, eventType, text, extra }) =>
    Buffer.from(
      JSON.stringify({ id: `rfw_${id}`, payload: { event_type: eventType, id: `rf_${id}`, text, extra } }),
      'utf8',
    ),
  );

function request(body: Buffer, signature: string): APIGatewayProxyEventV2 {
  // Sent base64-encoded so the mutated bytes reach the handler exactly, valid UTF-8 or not.
  return webhookEvent(body, { [HEADER]: signature }, { base64: true });
}

describe('signature property: any change after signing is rejected', () => {
  let ingest: IngestHarness;

  beforeAll(() => {
    ingest = loadIngestHarness({
      TARGET_QUEUES: JSON.stringify([{ name: 'state', queueUrl: STATE }]),
      VOLT_PUBLIC_KEYS: JSON.stringify([volt.formats.sshRsa]),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  beforeEach(() => ingest.reset());

  it('accepts the unchanged signed bodies (the property below is not vacuous)', async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, async (body) => {
        ingest.reset();
        const res = await ingest.handler(request(body, signBody(volt.privateKey, body)));
        expect(res.statusCode).toBe(200);
        expect(ingest.sent()).toHaveLength(1);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects every flipped bit, inserted or deleted byte, or truncation of the body with 401', async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, mutation, async (body, m) => {
        ingest.reset();
        const changed = mutate(body, m);
        const res = await ingest.handler(request(changed, signBody(volt.privateKey, body)));
        expect(res.statusCode).toBe(401);
        expect(ingest.sent()).toHaveLength(0);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every flipped bit, inserted or deleted byte, or truncation of the signature with 401', async () => {
    await fc.assert(
      fc.asyncProperty(eventBody, mutation, async (body, m) => {
        ingest.reset();
        const signature = Buffer.from(signBody(volt.privateKey, body), 'base64');
        const res = await ingest.handler(request(body, mutate(signature, m).toString('base64')));
        expect(res.statusCode).toBe(401);
        expect(ingest.sent()).toHaveLength(0);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects every edit of the header text unless it still decodes to the same signature bytes', async () => {
    // Base64 has spellings that decode alike (unused low bits of the last character, optional
    // padding): those carry the very signature Volt made, so accepting them forges nothing.
    const edit = fc.record({
      kind: fc.constantFrom('replace', 'insert', 'delete'),
      at: fc.nat(),
      char: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
    });
    await fc.assert(
      fc.asyncProperty(eventBody, edit, async (body, e) => {
        ingest.reset();
        const header = signBody(volt.privateKey, body);
        const at = e.at % header.length;
        const edited =
          e.kind === 'replace'
            ? header.slice(0, at) + e.char + header.slice(at + 1)
            : e.kind === 'insert'
              ? header.slice(0, at) + e.char + header.slice(at)
              : header.slice(0, at) + header.slice(at + 1);
        fc.pre(edited !== header);
        const res = await ingest.handler(request(body, edited));
        if (res.statusCode === 200) {
          expect(Buffer.from(edited.trim(), 'base64').equals(Buffer.from(header, 'base64'))).toBe(true);
        } else {
          expect(res.statusCode).toBe(401);
          expect(ingest.sent()).toHaveLength(0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
