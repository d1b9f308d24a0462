import { guardRefusal, type UpdateItemParams, type WritePlan } from './state-rules';

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

/**
 * Applies an event's write plan: the first write, then the fallback only when the first was
 * refused by its condition and the item it returned does not already refuse the fallback (the
 * id is applied, or the history is full: see `guardRefusal`). Without a returned item the
 * fallback is sent, as DynamoDB's own condition decides then. Any other error propagates, so
 * the record is retried.
 */
export async function applyPlan(plan: WritePlan, update: UpdateItem): Promise<ApplyResult> {
  let refusedItem: Readonly<Record<string, unknown>> | undefined;
  try {
    await update(plan.first);
    return { effect: plan.kind, writes: 1 };
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
    refusedItem = refusedItemOf(err);
  }
  if (!plan.fallback) return { effect: 'none', writes: 1 };
  if (plan.fallbackGuard && refusedItem && guardRefusal(plan.fallbackGuard, refusedItem) !== undefined)
    return { effect: 'none', writes: 1 };
  try {
    await update(plan.fallback);
    return { effect: 'history', writes: 2 };
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
    return { effect: 'none', writes: 2 };
  }
}
