import { randomUUID } from 'node:crypto';
import type { Deployment } from '../deployment';
import { FunctionError } from '../lambda-runtime';
import { stackId, stringOf, TemplateError, type Json, type JsonObject } from '../template';
import { PROVIDER_IS_COMPLETE_VARIABLE, PROVIDER_ON_EVENT_VARIABLE } from './function';
import type { ResourceKind } from './kind';

/**
 * Custom resources backed by a custom-resources Provider: the user's onEvent function gets a
 * CloudFormation-style event directly, instead of going through the provider framework's
 * function and its S3 response URL. `Create` on start, `Delete` on stop.
 */

interface Outcome {
  readonly physicalResourceId: string;
  readonly data: Record<string, Json>;
}

interface Request {
  readonly id: string;
  readonly type: string;
  readonly properties: JsonObject;
}

const IS_COMPLETE_TIMEOUT_MS = 60_000;

/** Polls the Provider's isComplete function, as the framework's waiter does, and merges its `Data`. */
async function waitForCompletion(
  deployment: Deployment,
  request: Request,
  isCompleteArn: string,
  event: Record<string, unknown>,
): Promise<Record<string, Json>> {
  const isComplete = deployment.functionFor(isCompleteArn, `${request.id} provider isComplete`);
  const deadline = Date.now() + IS_COMPLETE_TIMEOUT_MS;
  for (;;) {
    const done = (await isComplete.invoke(event)).value as { IsComplete?: boolean; Data?: Record<string, Json> } | null;
    if (done?.IsComplete) return done.Data ?? {};
    if (Date.now() > deadline) throw new Error(`${request.id}: isComplete did not report completion within 60 s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function invokeProvider(
  deployment: Deployment,
  request: Request,
  requestType: 'Create' | 'Delete',
  physicalResourceId?: string,
): Promise<Outcome> {
  const { id, type, properties } = request;
  const token = stringOf(properties['ServiceToken']);
  if (!token) throw new TemplateError(`${id}: no ServiceToken`);
  const framework = deployment.functionFor(token, `${id}.ServiceToken`);
  const onEventArn = framework.definition.environment[PROVIDER_ON_EVENT_VARIABLE];
  if (!onEventArn) {
    throw new TemplateError(
      `${id}: its ServiceToken is not a custom-resources Provider (no ${PROVIDER_ON_EVENT_VARIABLE}); only Provider-backed custom resources run locally`,
    );
  }
  const onEvent = deployment.functionFor(onEventArn, `${id} provider onEvent`);
  const event: Record<string, unknown> = {
    RequestType: requestType,
    ServiceToken: token,
    ResponseURL: 'http://localhost/local-stack-does-not-use-response-urls',
    StackId: stackId(deployment.ctx),
    RequestId: randomUUID(),
    LogicalResourceId: id,
    ResourceType: type,
    ResourceProperties: properties,
    ...(physicalResourceId ? { PhysicalResourceId: physicalResourceId } : {}),
  };
  const { value } = await onEvent.invoke(event);
  const result = (value ?? {}) as { PhysicalResourceId?: unknown; Data?: Record<string, Json> };
  const isCompleteArn = framework.definition.environment[PROVIDER_IS_COMPLETE_VARIABLE];
  const completed = isCompleteArn
    ? await waitForCompletion(deployment, request, isCompleteArn, { ...event, ...result })
    : undefined;
  return {
    physicalResourceId:
      typeof result.PhysicalResourceId === 'string'
        ? result.PhysicalResourceId
        : (physicalResourceId ?? String(event['RequestId'])),
    data: completed ? { ...(result.Data ?? {}), ...completed } : (result.Data ?? {}),
  };
}

function failureDetail(err: unknown): string {
  if (err instanceof FunctionError) return `${err.payload.errorType}: ${err.payload.errorMessage}`;
  return err instanceof Error ? err.message : String(err);
}

export const customResourceKind: ResourceKind = {
  name: 'custom resource',
  types: ['Custom::*', 'AWS::CloudFormation::CustomResource'],
  // No provide: a custom resource's Ref and GetAtt values are what its Create returns.

  async start(id, resource, deployment) {
    const request: Request = { id, type: resource.Type, properties: deployment.properties(id) };
    let outcome: Outcome;
    try {
      outcome = await invokeProvider(deployment, request, 'Create');
    } catch (err: unknown) {
      throw new Error(
        `custom resource ${id} (${request.type}) failed to create, as the deployment would: ${failureDetail(err)}`,
        { cause: err },
      );
    }
    deployment.provide(id, outcome.physicalResourceId, outcome.data);
    deployment.customResources.push({ logicalId: id, type: request.type, ...outcome });
    deployment.emit({
      kind: 'info',
      message: `custom resource ${id} (${request.type}) created: ${outcome.physicalResourceId}`,
    });
    return async () => {
      try {
        await invokeProvider(deployment, request, 'Delete', outcome.physicalResourceId);
        deployment.emit({ kind: 'info', message: `custom resource ${id} deleted` });
      } catch (err: unknown) {
        const detail = err instanceof Error ? err.message : String(err);
        deployment.emit({ kind: 'warn', message: `custom resource ${id} failed to delete: ${detail}` });
      }
    };
  },
};
