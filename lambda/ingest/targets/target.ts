import { optionalEnv } from '../../common/env';
import { ConfigurationError } from '../../common/errors';
import type { QueueMessageAttributes } from '../../common/queue-message';

/**
 * Where the ingest delivers a verified event. Each kind of target (an SQS queue today) is one
 * file beside this one, paired with one file under `lib/constructs/targets/` that writes its
 * configuration entry and grants the function what delivering needs.
 */

/**
 * Delivers one verified event, the raw body (JSON text that parsed, as a well-formed string) with
 * its attributes; rejects when the target did not accept it. A kind whose service restricts
 * characters encodes what it must (an SQS target: `common/queue-message.ts`).
 */
export type Deliver = (body: string, attributes: QueueMessageAttributes) => Promise<unknown>;

/** What every kind's configuration entry holds, written by the construct side. */
export interface TargetEntry {
  /** `state`, or the subscriber's name: unique across kinds. */
  readonly name: string;
  /** Only these `event_type`s are delivered; all when absent. */
  readonly eventTypes?: readonly string[];
}

/** A target ready to deliver to, made once at cold start. */
export interface DeliveryTarget extends TargetEntry {
  /** The kind, e.g. `sqs`. */
  readonly kind: string;
  /** Where it delivers (a queue URL): to tell targets apart, e.g. from the quarantine. */
  readonly address: string;
  readonly deliver: Deliver;
}

/** One kind of target: where its entries are in the environment, and how one becomes a `DeliveryTarget`. */
export interface TargetKind {
  readonly kind: string;
  /** The environment variable holding this kind's entries, a JSON array. */
  readonly env: string;
  /** Checks one entry and binds its sender; `label` names the entry in errors (`TARGET_QUEUES[1]`). */
  target(entry: unknown, label: string): DeliveryTarget;
}

/** The fields every entry has, checked; a kind reads its own fields from the same object. */
export function readTargetEntry(entry: unknown, label: string): TargetEntry & Readonly<Record<string, unknown>> {
  const e = entry as Record<string, unknown> | null;
  if (!e || typeof e !== 'object' || typeof e['name'] !== 'string' || e['name'] === '') {
    throw new ConfigurationError(`${label} needs a string "name"`);
  }
  const eventTypes = e['eventTypes'];
  if (eventTypes !== undefined && (!Array.isArray(eventTypes) || !eventTypes.every((t) => typeof t === 'string'))) {
    throw new ConfigurationError(`${label}.eventTypes must be an array of strings`);
  }
  return e as TargetEntry & Readonly<Record<string, unknown>>;
}

/** Every kind's targets from the environment, in the kinds' order; at least one in all. */
export function readTargets(kinds: readonly TargetKind[], env: NodeJS.ProcessEnv): DeliveryTarget[] {
  const targets: DeliveryTarget[] = [];
  for (const kind of kinds) {
    const text = optionalEnv(kind.env, env);
    if (text === undefined) continue;
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch {
      throw new ConfigurationError(`environment variable ${kind.env} is not valid JSON`);
    }
    if (!Array.isArray(list) || list.length === 0) {
      throw new ConfigurationError(`${kind.env} must be a non-empty JSON array`);
    }
    list.forEach((entry: unknown, i) => targets.push(kind.target(entry, `${kind.env}[${i}]`)));
  }
  if (targets.length === 0) {
    throw new ConfigurationError(
      `environment variable ${kinds.map((k) => k.env).join(' or ')} is required but not set: the ingest needs a target`,
    );
  }
  const names = new Set<string>();
  for (const t of targets) {
    if (names.has(t.name)) throw new ConfigurationError(`two delivery targets are named "${t.name}"`);
    names.add(t.name);
  }
  return targets;
}
