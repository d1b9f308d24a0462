import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { SIGNATURE_HEADER, signBody, verifySignature } from '../../../lambda/common/signature';
import { firstRefusedCodePoint } from '../../../local/sqs-rules';
import { testKeyPair } from '../../helpers/keys';
import type { Item, LocalAwsClients } from '../../helpers/local-aws';
import { startProductStack, type ProductStack } from '../../helpers/local-stack';
import { postLikeVolt } from '../../helpers/volt-post';

// SQS's character rule through the whole local stack, whose SQS stand-in refuses what real SQS
// refuses (InvalidMessageContents): every character class at the edges of the rule, raw or
// escaped, in the message text and in each value that becomes a message attribute. Every signed
// event must be accepted, stored, and delivered to a subscriber with a body whose bytes
// re-verify and attributes equal to the stored ids.

/** Where the character goes: the text (body only) or a value that also becomes an attribute. */
const PLACES = ['text', 'webhookId', 'messageId', 'eventType'] as const;
type Place = (typeof PLACES)[number];

interface CharacterCase {
  readonly name: string;
  /** How the character is written in the JSON text: itself, or a `\uXXXX` escape. */
  readonly json: string;
  /** The character once parsed. */
  readonly parsed: string;
  /** What the attributes and the stored ids hold in its place: itself, or U+FFFD. */
  readonly cleaned: string;
}

const escape = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;
const REPLACEMENT = '\ufffd';

const CHARACTERS: readonly CharacterCase[] = [
  { name: 'raw U+FFFE', json: '\ufffe', parsed: '\ufffe', cleaned: REPLACEMENT },
  { name: 'raw U+FFFF', json: '\uffff', parsed: '\uffff', cleaned: REPLACEMENT },
  { name: 'escaped U+FFFE', json: escape(0xfffe), parsed: '\ufffe', cleaned: REPLACEMENT },
  { name: 'escaped U+FFFF', json: escape(0xffff), parsed: '\uffff', cleaned: REPLACEMENT },
  // Every C0 control, escaped (raw, it is not JSON): only tab, LF and CR are SQS characters.
  ...Array.from({ length: 0x20 }, (_, c) => ({
    name: `escaped U+${c.toString(16).toUpperCase().padStart(4, '0')}`,
    json: escape(c),
    parsed: String.fromCharCode(c),
    cleaned: c === 0x9 || c === 0xa || c === 0xd ? String.fromCharCode(c) : REPLACEMENT,
  })),
  { name: 'an escaped lone high surrogate', json: escape(0xd800), parsed: '\ud800', cleaned: REPLACEMENT },
  { name: 'an escaped lone low surrogate', json: escape(0xdfff), parsed: '\udfff', cleaned: REPLACEMENT },
  { name: 'raw U+FFFD', json: '\ufffd', parsed: '\ufffd', cleaned: '\ufffd' },
  { name: 'a raw astral character', json: '😀', parsed: '😀', cleaned: '😀' },
  { name: 'an astral character as an escaped pair', json: '\\ud83d\\ude00', parsed: '😀', cleaned: '😀' },
];

interface Sent {
  readonly label: string;
  readonly place: Place;
  readonly character: CharacterCase;
  readonly raw: string;
  readonly signature: string;
  /** The values as the attributes and the item must hold them. */
  readonly webhookId: string;
  readonly messageId: string;
  readonly eventType: string;
  /** The parsed text. */
  readonly text: string;
}

const MARK = '@@';

/** One signed event with the character in `place`; each case's ids are unique even once cleaned. */
function eventWith(place: Place, character: CharacterCase, index: number, run: string): Omit<Sent, 'signature'> {
  const base = {
    webhookId: `rfw_chars_${run}_${index}_`,
    messageId: `rf_chars_${run}_${index}_`,
    eventType: 'message.sent',
    text: 'text ',
  };
  const value = (field: keyof typeof base) => (place === field ? `${base[field]}${MARK}` : base[field]);
  const raw = JSON.stringify({
    type: 'messaging',
    id: value('webhookId'),
    payload: {
      event_type: value('eventType'),
      id: value('messageId'),
      status: 'sent',
      direction: 'outbound',
      occurred_at: '2026-11-25T01:00:00.000Z',
      text: value('text'),
    },
  }).replace(MARK, character.json);
  const expected = (field: keyof typeof base, with_: string) =>
    place === field ? `${base[field]}${with_}` : base[field];
  return {
    label: `${character.name} in ${place}`,
    place,
    character,
    raw,
    webhookId: expected('webhookId', character.cleaned),
    messageId: expected('messageId', character.cleaned),
    eventType: expected('eventType', character.cleaned),
    text: expected('text', character.parsed),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SQS's character rule through the local stack", () => {
  const key = testKeyPair('sqs-characters');
  const run = randomBytes(4).toString('hex');
  const cases: Sent[] = [];
  const statuses = new Map<string, number>();
  const delivered = new Map<string, Message>();
  const items = new Map<string, Item | undefined>();
  let product: ProductStack;
  let aws: LocalAwsClients;

  for (const place of PLACES)
    CHARACTERS.forEach((character) => {
      const event = eventWith(place, character, cases.length, run);
      cases.push({ ...event, signature: signBody(key.privateKey, event.raw) });
    });

  beforeAll(async () => {
    product = await startProductStack({
      name: 'volt-sqs-characters',
      context: {
        voltPublicKeys: JSON.stringify([key.formats.spkiPem]),
        subscribers: JSON.stringify([{ name: 'audit' }]),
      },
    });
    aws = product.aws;
    const url = product.stack.webhookUrl ?? 'http://127.0.0.1:9/none';

    // Posted ten at a time, as Volt would deliver a burst, and retried on 503 as Volt would.
    for (let i = 0; i < cases.length; i += 10) {
      await Promise.all(
        cases.slice(i, i + 10).map(async (c) => {
          const { status } = await postLikeVolt(url, {
            headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: c.signature },
            body: c.raw,
          });
          statuses.set(c.label, status);
        }),
      );
    }

    // The subscriber's copies, matched to their cases by the (cleaned, unique) webhookId attribute.
    const byWebhookId = new Map(cases.map((c) => [c.webhookId, c.label]));
    const deadline = Date.now() + 60_000;
    while (delivered.size < cases.length && Date.now() < deadline) {
      const out = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: aws.queueUrl('audit'),
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = out.Messages ?? [];
      for (const m of messages) {
        const label = byWebhookId.get(m.MessageAttributes?.['webhookId']?.StringValue ?? '');
        if (label !== undefined) delivered.set(label, m);
      }
      if (messages.length > 0)
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: aws.queueUrl('audit'),
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
    }

    // The stored items, once the consumer has applied every event.
    for (const c of cases) {
      for (;;) {
        const item = (
          await aws.dynamodb.send(
            new GetItemCommand({
              TableName: aws.tableName(),
              Key: { messageId: { S: c.messageId } },
              ConsistentRead: true,
            }),
          )
        ).Item;
        items.set(c.label, item);
        if (item || Date.now() > deadline) break;
        await sleep(200);
      }
    }
  }, 240_000);

  afterAll(async () => {
    await product?.stop();
  });

  it(`covers ${CHARACTERS.length} characters in ${PLACES.length} places`, () => {
    expect(cases).toHaveLength(CHARACTERS.length * PLACES.length);
    expect(new Set(cases.map((c) => c.webhookId)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.label, c] as const))('%s: accepted, delivered re-verifiable, stored', (label, c) => {
    expect({ label, status: statuses.get(label) }).toEqual({ label, status: 200 });

    // The subscriber's copy: the signed bytes, base64 only when the raw text holds what SQS refuses.
    const message = delivered.get(label);
    expect(message).toBeDefined();
    const attributes = message?.MessageAttributes ?? {};
    const encoding = attributes['bodyEncoding']?.StringValue;
    expect(encoding).toBe(firstRefusedCodePoint(c.raw) === undefined ? undefined : 'base64');
    const bytes =
      encoding === 'base64' ? Buffer.from(message?.Body ?? '', 'base64') : Buffer.from(message?.Body ?? '', 'utf8');
    expect(bytes.equals(Buffer.from(c.raw, 'utf8'))).toBe(true);
    const signature = attributes['signature']?.StringValue;
    expect(signature).toBe(c.signature);
    expect(() => verifySignature(bytes, signature, [key.publicKey])).not.toThrow();
    expect({
      webhookId: attributes['webhookId']?.StringValue,
      messageId: attributes['messageId']?.StringValue,
      eventType: attributes['eventType']?.StringValue,
    }).toEqual({ webhookId: c.webhookId, messageId: c.messageId, eventType: c.eventType });

    // The item, keyed on the same cleaned id, with the event in its history.
    const item = items.get(label);
    expect(item?.['messageId']?.S).toBe(c.messageId);
    const history = (item?.['history']?.L ?? []).map((e) => ({
      webhookId: e.M?.['webhookId']?.S,
      eventType: e.M?.['eventType']?.S,
    }));
    expect(history).toEqual([{ webhookId: c.webhookId, eventType: c.eventType }]);
    // A known event type defines the state; a mangled one is history only.
    expect(item?.['status']?.S).toBe(c.place === 'eventType' && c.eventType !== 'message.sent' ? undefined : 'sent');
    if (c.place === 'text') expect(item?.['text']?.S).toBe(c.text);
  });
});
