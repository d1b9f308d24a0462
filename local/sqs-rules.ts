import type { IncomingHttpHeaders } from 'node:http';

/**
 * Rules real SQS enforces that local-aws-sqs does not, checked in front of the SQS stand-in
 * (`local/standins.ts`). A SendMessageBatch may total at most 1 MiB in UTF-8 bytes
 * ({@link batchSizeRefusal}: `BatchRequestTooLong`, the whole request refused). A message body and every String attribute value may hold only
 * #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. SendMessage answers
 * `InvalidMessageContents` (400, a sender fault); SendMessageBatch fails the offending entries
 * alone, with that code, as it reports every per-entry problem. Both wire protocols are read:
 * JSON (`x-amz-target: AmazonSQS.<Action>`, what the SDK v3 and current AWS CLI speak) and Query
 * (a form with `Action=`).
 */

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';
export const INVALID_MESSAGE_CONTENTS = 'InvalidMessageContents';

/** The parts of one message the rules apply to. */
export interface SqsMessageParts {
  readonly body?: string;
  /** String values of the message attributes, by attribute name. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * What SQS counts of the message against its size limits: the body, and each attribute's
   * name, type and value, in UTF-8 bytes (a Binary value as its bytes). Absent: not counted.
   */
  readonly bytes?: number;
}

/** One SQS request, as far as the rules and the fault hooks read it. */
export interface SqsCall {
  readonly protocol: 'json' | 'query';
  /** The action, e.g. `SendMessage`; empty when the request names none. */
  readonly operation: string;
  readonly queueUrl?: string;
  /** SendMessage: the one message; SendMessageBatch: one per entry, with the entry's `Id`. */
  readonly messages: readonly (SqsMessageParts & { readonly id?: string })[];
  /** The parsed JSON request (JSON protocol only), to rewrite a batch. */
  readonly json?: Readonly<Record<string, unknown>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const utf8Bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
const binaryBytes = (value: unknown) => (typeof value === 'string' ? Buffer.from(value, 'base64').length : 0);

function jsonMessage(entry: Record<string, unknown>): SqsMessageParts & { id?: string } {
  const attributes: Record<string, string> = {};
  let bytes = utf8Bytes(entry['MessageBody']);
  const given = entry['MessageAttributes'];
  if (isRecord(given))
    for (const [name, value] of Object.entries(given)) {
      if (!isRecord(value)) continue;
      if (typeof value['StringValue'] === 'string') attributes[name] = value['StringValue'];
      bytes +=
        utf8Bytes(name) +
        utf8Bytes(value['DataType']) +
        utf8Bytes(value['StringValue']) +
        binaryBytes(value['BinaryValue']);
    }
  return {
    ...(typeof entry['MessageBody'] === 'string' ? { body: entry['MessageBody'] } : {}),
    ...(typeof entry['Id'] === 'string' ? { id: entry['Id'] } : {}),
    attributes,
    bytes,
  };
}

/** `MessageAttribute.N.Name` / `MessageAttribute.N.Value.StringValue` pairs under `prefix`, and their size. */
function queryAttributes(
  params: URLSearchParams,
  prefix: string,
): { attributes: Record<string, string>; bytes: number } {
  const attributes: Record<string, string> = {};
  let bytes = 0;
  for (let i = 1; params.has(`${prefix}MessageAttribute.${i}.Name`); i++) {
    const at = `${prefix}MessageAttribute.${i}.`;
    const value = params.get(`${at}Value.StringValue`);
    if (value !== null) attributes[params.get(`${at}Name`) ?? ''] = value;
    bytes +=
      utf8Bytes(params.get(`${at}Name`)) +
      utf8Bytes(params.get(`${at}Value.DataType`)) +
      utf8Bytes(value) +
      binaryBytes(params.get(`${at}Value.BinaryValue`));
  }
  return { attributes, bytes };
}

function queryMessage(params: URLSearchParams, prefix: string): SqsMessageParts {
  const body = params.get(`${prefix}MessageBody`);
  const { attributes, bytes } = queryAttributes(params, prefix);
  return { ...(body !== null ? { body } : {}), attributes, bytes: bytes + utf8Bytes(body) };
}

/** Reads one request to the SQS stand-in; a body that does not parse reads as no messages. */
export function parseSqsCall(headers: IncomingHttpHeaders, body: Buffer): SqsCall {
  const text = body.toString('utf8');
  if (headers['content-type'] === JSON_CONTENT_TYPE) {
    const operation = String(headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!isRecord(json)) return { protocol: 'json', operation, messages: [] };
    const entries = json['Entries'];
    const messages =
      operation === 'SendMessage'
        ? [jsonMessage(json)]
        : operation === 'SendMessageBatch' && Array.isArray(entries)
          ? entries.filter(isRecord).map(jsonMessage)
          : [];
    return {
      protocol: 'json',
      operation,
      ...(typeof json['QueueUrl'] === 'string' ? { queueUrl: json['QueueUrl'] } : {}),
      messages,
      json,
    };
  }
  const params = new URLSearchParams(text);
  const operation = params.get('Action') ?? '';
  const messages: (SqsMessageParts & { id?: string })[] = [];
  if (operation === 'SendMessage') messages.push(queryMessage(params, ''));
  if (operation === 'SendMessageBatch')
    for (let i = 1; params.has(`SendMessageBatchRequestEntry.${i}.Id`); i++) {
      const prefix = `SendMessageBatchRequestEntry.${i}.`;
      messages.push({ ...queryMessage(params, prefix), id: params.get(`${prefix}Id`) ?? '' });
    }
  const queueUrl = params.get('QueueUrl');
  return { protocol: 'query', operation, ...(queueUrl !== null ? { queueUrl } : {}), messages };
}

/** The first code point outside SQS's set in `value`, or `undefined` when there is none. */
export function firstRefusedCodePoint(value: string): number | undefined {
  for (const char of value) {
    const c = char.codePointAt(0) ?? 0;
    const allowed =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff);
    if (!allowed) return c;
  }
  return undefined;
}

const ALLOWED = '#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF';
const hex = (c: number) => `#x${c.toString(16).toUpperCase()}`;

/** Why SQS would refuse this message, or `undefined` when it would take it. */
export function refusal(message: SqsMessageParts): string | undefined {
  if (message.body !== undefined) {
    const c = firstRefusedCodePoint(message.body);
    if (c !== undefined) return `Invalid character ${hex(c)} in the message body; allowed: ${ALLOWED}`;
  }
  for (const [name, value] of Object.entries(message.attributes)) {
    const c = firstRefusedCodePoint(value);
    if (c !== undefined)
      return `Invalid character ${hex(c)} in the value of message attribute '${name}'; allowed: ${ALLOWED}`;
  }
  return undefined;
}

/** An SQS error answer in the request's protocol. */
export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const xmlEscape = (s: string) =>
  s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

/**
 * A sender-fault error as SQS answers it: in JSON, `__type` with the shape id and the
 * `x-amzn-query-error` header the SDK reads the code from; in Query, an `ErrorResponse` document.
 */
export function errorAnswer(
  protocol: SqsCall['protocol'],
  code: string,
  message: string,
  requestId: string,
): ErrorAnswer {
  if (protocol === 'json') {
    return {
      status: 400,
      headers: {
        'content-type': JSON_CONTENT_TYPE,
        'x-amzn-query-error': `${code};Sender`,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ __type: `com.amazonaws.sqs#${code}`, message }),
    };
  }
  return {
    status: 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">` +
      `<Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Detail/></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** A batch's refused entries, as SendMessageBatch lists them under `Failed` (JSON protocol). */
export interface FailedEntry {
  readonly Id: string;
  readonly Code: string;
  readonly Message: string;
  readonly SenderFault: boolean;
}

/** What the stand-in does with one request under the character rule. */
export type RuleDecision =
  | { readonly kind: 'serve' }
  | { readonly kind: 'refuse'; readonly message: string }
  /** Serve the batch without `failed` (the rewritten request body), then add them to its `Failed`. */
  | { readonly kind: 'partial'; readonly body: Buffer; readonly failed: readonly FailedEntry[] }
  /** Every entry of the batch was refused: answer with them alone. */
  | { readonly kind: 'all-failed'; readonly failed: readonly FailedEntry[] };

export function applyCharacterRule(call: SqsCall): RuleDecision {
  if (call.operation === 'SendMessage') {
    const message = call.messages[0] && refusal(call.messages[0]);
    return message ? { kind: 'refuse', message } : { kind: 'serve' };
  }
  if (call.operation !== 'SendMessageBatch') return { kind: 'serve' };
  const failed: FailedEntry[] = [];
  for (const m of call.messages) {
    const message = refusal(m);
    if (message) failed.push({ Id: m.id ?? '', Code: INVALID_MESSAGE_CONTENTS, Message: message, SenderFault: true });
  }
  if (failed.length === 0) return { kind: 'serve' };
  // A Query-protocol batch is refused whole: rewriting its form and merging its XML answer is
  // more than a local stand-in needs (the SDK and the current AWS CLI speak JSON).
  if (call.protocol === 'query' || !call.json) return { kind: 'refuse', message: failed[0]?.Message ?? '' };
  if (failed.length === call.messages.length) return { kind: 'all-failed', failed };
  const refused = new Set(failed.map((f) => f.Id));
  const entries = (call.json['Entries'] as unknown[]).filter(
    (e) => !(isRecord(e) && typeof e['Id'] === 'string' && refused.has(e['Id'])),
  );
  return { kind: 'partial', body: Buffer.from(JSON.stringify({ ...call.json, Entries: entries })), failed };
}

/** The code SQS answers a SendMessageBatch whose entries together pass its payload limit with. */
export const BATCH_REQUEST_TOO_LONG = 'BatchRequestTooLong';

/**
 * SQS's limit on a SendMessageBatch's total payload: 1 MiB, the sum of its entries' bodies and
 * attribute names, types and values (AWS API reference, SendMessageBatch). local-aws-sqs checks
 * the same limit on string lengths (UTF-16 units), which lets through a batch of multi-byte text
 * that SQS refuses; this counts UTF-8 bytes, as SQS does.
 */
export const MAX_BATCH_PAYLOAD_BYTES = 1_048_576;

/** Why SQS would refuse this whole request for its batch's size, or `undefined`. */
export function batchSizeRefusal(call: SqsCall): string | undefined {
  if (call.operation !== 'SendMessageBatch') return undefined;
  const total = call.messages.reduce((n, m) => n + (m.bytes ?? 0), 0);
  return total > MAX_BATCH_PAYLOAD_BYTES
    ? `Batch requests cannot be longer than ${MAX_BATCH_PAYLOAD_BYTES} bytes. You have sent ${total} bytes.`
    : undefined;
}

/** The stand-in's batch answer with the refused entries added to `Failed`. */
export function mergeFailed(answer: string, failed: readonly FailedEntry[]): string {
  let parsed: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(answer);
    if (!isRecord(value)) return answer;
    parsed = value;
  } catch {
    return answer;
  }
  // An error answer (no Successful/Failed lists) is passed on as it is.
  if (!('Successful' in parsed) && !('Failed' in parsed)) return answer;
  const already = Array.isArray(parsed['Failed']) ? (parsed['Failed'] as unknown[]) : [];
  return JSON.stringify({ ...parsed, Failed: [...already, ...failed] });
}

/**
 * `ApproximateNumberOfMessages` as SQS means it: the messages available for retrieval. local-aws-sqs
 * counts the in-flight ones there too (its own message-move task subtracts them again), so a queue
 * with one message being processed reported 1 visible and 1 in flight, and a depth of 2. The
 * stand-in's answer (`text`, in `protocol`) gets `inFlight` taken off that count.
 */
export function withVisibleCount(text: string, protocol: SqsCall['protocol'], inFlight: number): string {
  if (inFlight <= 0) return text;
  const visible = (reported: string) => String(Math.max(0, Number(reported) - inFlight));
  if (protocol === 'query')
    return text.replace(
      /(<Name>ApproximateNumberOfMessages<\/Name>\s*<Value>)(\d+)(<\/Value>)/,
      (_all, open: string, value: string, close: string) => `${open}${visible(value)}${close}`,
    );
  try {
    const answer: unknown = JSON.parse(text);
    if (!isRecord(answer) || !isRecord(answer['Attributes'])) return text;
    const reported = answer['Attributes']['ApproximateNumberOfMessages'];
    if (typeof reported !== 'string') return text;
    return JSON.stringify({
      ...answer,
      Attributes: { ...answer['Attributes'], ApproximateNumberOfMessages: visible(reported) },
    });
  } catch {
    return text;
  }
}
