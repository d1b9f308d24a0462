import type * as iam from 'aws-cdk-lib/aws-iam';
import type { TargetEntry } from '../../../lambda/ingest/targets/target';
import { EVENT_TYPES } from '../../../lambda/common/envelope';
import { closest } from '../../closest';
import { shown } from '../../validation';

/**
 * Where `WebhookIngest` delivers verified events. Each kind of target (an SQS queue today) is one
 * file beside this one, paired with one file under `lambda/ingest/targets/` that delivers to it.
 */

/** What a target binds to: the ingest function, and its configuration. */
export interface IngestTargetBinding {
  /** The ingest function, for a kind whose resource has its own grant method. */
  readonly grantee: iam.IGrantable;
  /**
   * Allows the ingest function `actions` on `resource`, and nothing more. Targets that ask for
   * the same actions share one statement, so the policy stays one line per kind of target.
   */
  allow(actions: readonly string[], resource: string): void;
  /**
   * Adds the target's entry to the JSON list in `environmentVariable`, the variable its kind's
   * sender reads (`TARGET_QUEUES` for SQS). Entries keep the order they were added in.
   */
  addEntry(environmentVariable: string, entry: TargetEntry): void;
}

/** A place the ingest delivers verified events to. */
export interface IIngestTarget {
  /** `state`, or a subscriber's name: unique among the ingest's targets. */
  readonly name: string;
  /** Only these `event_type`s are delivered. @default every event type */
  readonly eventTypes?: readonly string[];
  /** Accept `eventTypes` Volt is not known to send. @default false */
  readonly allowUnknownEventTypes?: boolean;
  /** Adds the target's configuration entry and the grant to deliver to it, together. */
  bind(binding: IngestTargetBinding): void;
}

/**
 * What is wrong with a target's event type filter, or nothing. A type Volt does not send would
 * leave the target empty forever (`message.recieved`), so it needs the explicit opt-in.
 */
export function eventTypesProblem(
  eventTypes: readonly unknown[] | undefined,
  allowUnknown = false,
): string | undefined {
  if (eventTypes === undefined) return undefined;
  if (eventTypes.length === 0 || eventTypes.some((e) => typeof e !== 'string' || e.trim() === '')) {
    return `must be a non-empty list of event type names, or left out for all events, got ${shown(eventTypes)}`;
  }
  if (allowUnknown) return undefined;
  const unknown = (eventTypes as string[]).filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length === 0) return undefined;
  const first = unknown[0] ?? '';
  const suggestion = closest(first, EVENT_TYPES);
  return (
    `has ${shown(first)}, which Volt does not send (it sends ${EVENT_TYPES.join(', ')})` +
    (suggestion ? `: did you mean ${shown(suggestion)}?` : '.') +
    ' To keep it anyway, set allowUnknownEventTypes to true'
  );
}
