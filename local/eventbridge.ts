import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { eventPatternProblems, matchesEventPattern } from '../lib/event-pattern';

/**
 * The EventBridge stand-in: event buses that take `PutEvents` over EventBridge's wire protocol
 * (JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`, so the SDK and the AWS CLI work against it),
 * match each event against the rules of its bus with EventBridge's pattern semantics
 * (`lib/event-pattern.ts`), and hand it to the rules' targets. `TestEventPattern` is served too.
 *
 * What a target does is the resource module's (`local/resources/event-rule.ts` sends to an SQS
 * queue); the stand-in retries a failed delivery a few times, then gives the event to the
 * target's dead-letter queue, as EventBridge does after its retry policy (185 attempts over 24 h
 * there, 3 here). Delivery is in order per target (EventBridge promises no order).
 */

/** An event as a bus holds it and a target receives it. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** A rule's target, as the stand-in uses it. */
export interface LocalRuleTarget {
  readonly id: string;
  readonly arn: string;
  /** Delivers one event (its JSON); rejects when it could not. */
  deliver(event: string): Promise<void>;
  /** Takes an event whose deliveries all failed, with why; absent: the event is dropped, as on AWS. */
  deadLetter?(event: string, error: string): Promise<void>;
}

export interface LocalRule {
  readonly name: string;
  /** How logs name it (its role in the template, e.g. a configured rule's name). @default name */
  readonly label?: string;
  readonly arn: string;
  readonly busName: string;
  readonly pattern: unknown;
  readonly enabled: boolean;
  readonly targets: readonly LocalRuleTarget[];
}

/** One PutEvents entry as the request carries it. */
export interface PutEventsRequestEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  readonly Time?: number | string;
}

/** What a fault hook does with one PutEvents call: fail it whole, or refuse some entries. */
export type PutEventsFault =
  | { readonly kind: 'error'; readonly status: number; readonly type: string; readonly message: string }
  /** The call is never answered (the caller's timeout decides); nothing is put. */
  | { readonly kind: 'hang' }
  | {
      readonly kind: 'refuse';
      /** The error of each entry to refuse; `undefined` lets it through. */
      readonly entry: (
        entry: PutEventsRequestEntry,
        index: number,
      ) => { readonly code: string; readonly message: string } | undefined;
    };

/** What happened on a bus, for the live log and tests. */
export type EventBridgeActivity =
  | {
      readonly kind: 'put';
      readonly bus: string;
      readonly event: BusEvent;
      /** The rules that matched it. */
      readonly rules: readonly string[];
    }
  | { readonly kind: 'refused'; readonly bus: string; readonly detailType: string; readonly reason: string }
  | { readonly kind: 'dead-letter'; readonly rule: string; readonly target: string; readonly error: string };

export interface LocalEventBridgeOptions {
  readonly region: string;
  readonly accountId: string;
  /** Attempts per delivery before the dead-letter queue. @default 3 */
  readonly deliveryAttempts?: number;
  /** Wait before the second attempt, doubling after. @default 100 */
  readonly retryDelayMs?: number;
}

class ValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** Thrown to leave a request unanswered (a `hang` fault). */
class Hang extends Error {}

/** PutEvents takes at most 10 entries, and 256 KB in all. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export class LocalEventBridge {
  /** Consulted on every PutEvents call; inert unless a test sets it. */
  fault?: (entries: readonly PutEventsRequestEntry[]) => PutEventsFault | undefined;
  private readonly buses = new Map<string, string>();
  private readonly rules = new Map<string, LocalRule>();
  private readonly listeners = new Set<(activity: EventBridgeActivity) => void>();
  /** Deliveries in flight, per target, so that each target gets its events in order. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly options: LocalEventBridgeOptions) {
    this.createBus('default');
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/${name}`;
  }

  createBus(name: string): void {
    this.buses.set(name, this.busArn(name));
  }

  /** The bus a name or an ARN stands for, if it exists. */
  busNamed(nameOrArn: string): string | undefined {
    const name = nameOrArn.startsWith('arn:') ? /:event-bus\/(.+)$/.exec(nameOrArn)?.[1] : nameOrArn;
    return name !== undefined && this.buses.has(name) ? name : undefined;
  }

  /** Adds (or replaces) a rule; its pattern must be valid. */
  putRule(rule: LocalRule): void {
    const problems = eventPatternProblems(rule.pattern);
    if (problems.length > 0) throw new Error(`rule ${rule.name}: invalid event pattern: ${problems.join('; ')}`);
    this.rules.set(rule.arn, rule);
  }

  removeRule(arn: string): void {
    this.rules.delete(arn);
  }

  /** Tells `listener` of everything that happens on the buses; returns how to stop. */
  onActivity(listener: (activity: EventBridgeActivity) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits until every delivery started so far has ended (delivered or dead-lettered). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      await Promise.all(pending);
      if ([...this.queues.values()].every((p) => pending.includes(p))) return;
    }
  }

  private emit(activity: EventBridgeActivity): void {
    for (const listener of this.listeners) listener(activity);
  }

  /** PutEvents: puts each entry on its bus, or says why not, in the order given. */
  putEvents(entries: readonly PutEventsRequestEntry[]): {
    FailedEntryCount: number;
    Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
  } {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES)
      throw new ValidationError(`Entries must hold 1 to ${MAX_ENTRIES} entries`);
    if (Buffer.byteLength(JSON.stringify(entries)) > MAX_REQUEST_BYTES)
      throw new ValidationError('Total size of the entries in the request is over the limit.');
    const fault = this.fault?.(entries);
    if (fault?.kind === 'hang') throw new Hang();
    if (fault?.kind === 'error')
      throw Object.assign(new Error(fault.message), { name: fault.type, status: fault.status });
    const results = entries.map((entry, index) => {
      const refused = fault?.kind === 'refuse' ? fault.entry(entry, index) : undefined;
      const result = refused ? { ErrorCode: refused.code, ErrorMessage: refused.message } : this.putOne(entry);
      if ('ErrorCode' in result)
        this.emit({
          kind: 'refused',
          bus: entry.EventBusName ?? 'default',
          detailType: entry.DetailType ?? '',
          reason: `${result.ErrorCode}: ${result.ErrorMessage}`,
        });
      return result;
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  private putOne(entry: PutEventsRequestEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const busName = this.busNamed(entry.EventBusName ?? 'default');
    if (busName === undefined)
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${entry.EventBusName} does not exist.`,
      };
    if (!entry.Source || !entry.DetailType || entry.Detail === undefined)
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    const time =
      entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.options.accountId,
      // EventBridge's events carry whole seconds.
      time: (Number.isNaN(time.getTime()) ? new Date() : time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: entry.Resources ?? [],
      detail,
    };
    const matched = [...this.rules.values()].filter(
      (r) => r.enabled && r.busName === busName && matchesEventPattern(r.pattern, event),
    );
    this.emit({ kind: 'put', bus: busName, event, rules: matched.map((r) => r.label ?? r.name) });
    const json = JSON.stringify(event);
    for (const rule of matched) for (const target of rule.targets) this.enqueue(rule, target, json);
    return { EventId: event.id };
  }

  private enqueue(rule: LocalRule, target: LocalRuleTarget, event: string): void {
    const key = `${rule.arn}#${target.id}`;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.deliver(rule, target, event));
    this.queues.set(key, next);
    void next.finally(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private async deliver(rule: LocalRule, target: LocalRuleTarget, event: string): Promise<void> {
    const attempts = this.options.deliveryAttempts ?? 3;
    let error = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await target.deliver(event);
        return;
      } catch (err: unknown) {
        error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (attempt < attempts)
          await new Promise((r) => setTimeout(r, (this.options.retryDelayMs ?? 100) * 2 ** (attempt - 1)));
      }
    }
    this.emit({ kind: 'dead-letter', rule: rule.label ?? rule.name, target: target.arn, error });
    await target.deadLetter?.(event, error).catch(() => undefined);
  }

  /** TestEventPattern: whether the event matches the pattern, both as JSON text. */
  testEventPattern(pattern: string, event: string): { Result: boolean } {
    let parsedPattern: unknown;
    let parsedEvent: unknown;
    try {
      parsedPattern = JSON.parse(pattern);
      parsedEvent = JSON.parse(event);
    } catch {
      throw new ValidationError('Event pattern and event must be JSON.');
    }
    const problems = eventPatternProblems(parsedPattern);
    if (problems.length > 0) throw new ValidationError(`Event pattern is not valid. Reason: ${problems[0]}`);
    return { Result: matchesEventPattern(parsedPattern, parsedEvent) };
  }

  /** The stand-in's HTTP handler (JSON 1.1). */
  readonly handler: RequestListener = (req, res) => {
    readJson(req)
      .then((body) => {
        const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
        const input = (body ?? {}) as Record<string, unknown>;
        if (operation === 'PutEvents')
          return answer(res, 200, this.putEvents(input['Entries'] as PutEventsRequestEntry[]));
        if (operation === 'TestEventPattern')
          return answer(res, 200, this.testEventPattern(String(input['EventPattern']), String(input['Event'])));
        return answer(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not emulated` });
      })
      .catch((err: unknown) => {
        if (err instanceof Hang) return;
        const e = err instanceof Error ? err : new Error(String(err));
        const status = (e as { status?: number }).status ?? (e instanceof ValidationError ? 400 : 500);
        answer(res, status, { __type: e.name, message: e.message });
      });
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? {} : JSON.parse(text));
      } catch {
        reject(new ValidationError('The request body is not JSON.'));
      }
    });
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}
