import type { Deployment } from '../deployment';
import type { Json, TemplateResource } from '../template';

/**
 * One kind of template resource the local runner knows: a module per kind in this directory,
 * listed in `index.ts`, run by `../engine.ts`. Adding a resource type is adding one module.
 */

/** Stops what a resource started; run in reverse start order when the stack stops. */
export type Stop = () => Promise<void>;

/** A resource's local `Ref` value and `Fn::GetAtt` attributes. */
export interface ProvidedValues {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, Json>>;
  /** For a kind that had to start something to know its values (an HTTP API listens for its URL). */
  readonly stop?: Stop;
}

export interface ResourceKind {
  /** For messages. */
  readonly name: string;
  /** The CloudFormation types it handles; a trailing `*` matches a prefix (`Custom::*`). */
  readonly types: readonly string[];
  /**
   * The resource's `Ref` and `GetAtt` values, known before anything starts, so that references
   * between resources resolve in one pass (a queue's redrive policy, a function's environment).
   * Omitted by a kind whose values exist only once it started (a custom resource's `Data`).
   */
  provide?(id: string, resource: TemplateResource, deployment: Deployment): ProvidedValues | Promise<ProvidedValues>;
  /**
   * Brings the resource up, once everything it references (`Ref`, `Fn::GetAtt`, `Fn::Sub`,
   * `DependsOn`) is up; returns how to stop it. Omitted by a kind with nothing to run.
   */
  start?(id: string, resource: TemplateResource, deployment: Deployment): Promise<Stop | undefined>;
}

/** Whether `kind` handles CloudFormation type `type`. */
export function handles(kind: ResourceKind, type: string): boolean {
  return kind.types.some((t) => (t.endsWith('*') ? type.startsWith(t.slice(0, -1)) : t === type));
}
