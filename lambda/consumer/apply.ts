import type { UpdateItemParams, WritePlan } from './state-rules';

/** Sends one UpdateItem; rejects with an error named `ConditionalCheckFailedException` when the condition fails. */
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
 * Applies an event's write plan: the first write, then the fallback only when the first was
 * refused by its condition. Any other error propagates, so the record is retried.
 */
export async function applyPlan(plan: WritePlan, update: UpdateItem): Promise<ApplyResult> {
  try {
    await update(plan.first);
    return { effect: plan.kind, writes: 1 };
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
  }
  if (!plan.fallback) return { effect: 'none', writes: 1 };
  try {
    await update(plan.fallback);
    return { effect: 'history', writes: 2 };
  } catch (err: unknown) {
    if (!isConditionalCheckFailed(err)) throw err;
    return { effect: 'none', writes: 2 };
  }
}
