import { afterStateRefusal, type UpdateItemParams, type WritePlan } from './state-rules';

/**
 * Sends one UpdateItem; rejects with an error named `ConditionalCheckFailedException` when the
 * condition fails, carrying the item as `Item` when the request asked for it (as the SDK v3 does).
 */
export type UpdateItem = (params: UpdateItemParams) => Promise<unknown>;

/**
 * What applying an event did: `state` it became the current state; `history` it was recorded
 * in history only (stale, or an unknown type); `none` nothing changed (a duplicate, or the
 * history limit was reached).
 */
export type ApplyEffect = 'state' | 'history' | 'none';

export interface ApplyResult {
  readonly effect: ApplyEffect;
  /** Write requests sent: 1 or 2. */
  readonly writes: number;
  /**
   * The event is new but its history entry was not written because `history` was full: a
   * newer event applied without it (`effect: 'state'`, counted in the item's `historyDropped`),
   * or a stale one left out (`effect: 'none'`).
   */
  readonly historyDropped: boolean;
}

/** Recognised by name: the SDK's exception class may come from another copy of the SDK than ours. */
export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/**
 * The item a refused write returned (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`), or
 * `undefined` when the error carries none: the item did not exist, or the server (an older
 * DynamoDB-compatible one) ignored the parameter.
 */
export function refusedItemOf(err: unknown): Readonly<Record<string, unknown>> | undefined {
  const item: unknown = typeof err === 'object' && err !== null ? (err as { Item?: unknown }).Item : undefined;
  return typeof item === 'object' && item !== null && !Array.isArray(item)
    ? (item as Record<string, unknown>)
    : undefined;
}

/** Sends `params`; `true` when it applied, `false` when its condition refused it; any other error propagates. */
async function conditional(update: UpdateItem, params: UpdateItemParams): Promise<boolean> {
  try {
    await update(params);
    return true;
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
    return false;
  }
}

/**
 * Applies an event's write plan: the first write, then, only when its condition refused it, what
 * the item it returned calls for (`afterStateRefusal`): nothing for a duplicate or a stale event
 * on a full history, `stateOnly` for a newer event on a full history, else `fallback`. Without a
 * returned item `fallback` is sent, as DynamoDB's own condition decides then. Any other error
 * propagates, so the record is retried.
 */
export async function applyPlan(plan: WritePlan, update: UpdateItem): Promise<ApplyResult> {
  let refusedItem: Readonly<Record<string, unknown>> | undefined;
  try {
    await update(plan.first);
    return { effect: plan.kind, writes: 1, historyDropped: false };
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
    refusedItem = refusedItemOf(err);
  }
  if (!plan.fallback) return { effect: 'none', writes: 1, historyDropped: false };
  const next = refusedItem ? afterStateRefusal(plan, refusedItem) : undefined;
  if (next === 'applied') return { effect: 'none', writes: 1, historyDropped: false };
  if (next === 'history-full') return { effect: 'none', writes: 1, historyDropped: true };
  if (next === 'state-only' && plan.stateOnly) {
    // Refused only if a newer event won in between: then this one is stale, and still left out.
    const applied = await conditional(update, plan.stateOnly);
    return { effect: applied ? 'state' : 'none', writes: 2, historyDropped: true };
  }
  const recorded = await conditional(update, plan.fallback);
  return { effect: recorded ? 'history' : 'none', writes: 2, historyDropped: false };
}
