import { Deployment, type DeploymentSettings } from './deployment';
import { deploy } from './engine';
import type { LocalStack, LocalStackOptions } from './model';
import { FALLBACK_KIND, RESOURCE_KINDS } from './resources';
import { startStandins } from './standins';
import { loadStack, resolveValue, type Json } from './template';
import { STACK_OUTPUTS } from '../lib/stack-outputs';
import { ARCHIVE_BUCKET_ROLE } from '../lib/template-contract';

/**
 * The local stack: everything the synthesized template declares that the product runs on,
 * brought up on this machine from the template itself (queues, tables, functions from their
 * bundles, the HTTP API, event source mappings, custom resources) on AWS stand-ins. Each
 * resource type has its module in `resources/`; `engine.ts` runs them in dependency order.
 */

export type {
  LocalCustomResource,
  LocalQueue,
  LocalStack,
  LocalStackEvent,
  LocalStackOptions,
  LocalStackPorts,
  LocalTable,
} from './model';
export { messagesTable } from './model';
export { displayNameFor, queueKeyFor } from './names';

/** The template's outputs, resolved; one that cannot be is left out, with a warning. */
function resolveOutputs(deployment: Deployment): Record<string, Json> {
  const outputs: Record<string, Json> = {};
  for (const [name, output] of Object.entries(deployment.template.Outputs ?? {})) {
    try {
      outputs[name] = resolveValue(output.Value, deployment.ctx, `Outputs.${name}`);
    } catch (err: unknown) {
      const reason = err instanceof Error ? err.message : String(err);
      deployment.emit({ kind: 'warn', message: `output ${name} has no local value: ${reason}` });
    }
  }
  return outputs;
}

/**
 * The archive's bucket when the stack was given an existing one (`-c archiveBucket=...`): it is
 * not in the template, so no resource creates it, and on AWS it exists already. Locally it stands
 * for the customer's bucket: created empty in the S3 stand-in and listed with the archive's role,
 * so the archiver can write to it and `replay --local` and the console find it.
 */
async function createArchiveBucketPassedIn(deployment: Deployment): Promise<void> {
  const output = deployment.template.Outputs?.[STACK_OUTPUTS.archiveBucketName];
  if (!output) return;
  const name = resolveValue(output.Value, deployment.ctx, `Outputs.${STACK_OUTPUTS.archiveBucketName}`);
  if (typeof name !== 'string' || deployment.buckets.some((b) => b.name === name)) return;
  await deployment.standins.createBucket(name);
  deployment.buckets.push({
    logicalId: `passed-in:${name}`,
    role: ARCHIVE_BUCKET_ROLE,
    name,
    arn: `arn:aws:s3:::${name}`,
  });
  deployment.emit({
    kind: 'info',
    message: `archive bucket ${name} was passed in (archiveBucket): created empty in the S3 stand-in`,
  });
}

/** Lists in template order: resources of one wave start together and finish in any order. */
function inTemplateOrder<T extends { readonly logicalId: string }>(deployment: Deployment, items: readonly T[]): T[] {
  const order = Object.keys(deployment.template.Resources);
  return [...items].sort((a, b) => order.indexOf(a.logicalId) - order.indexOf(b.logicalId));
}

function localStackOf(deployment: Deployment): LocalStack {
  const outputs = resolveOutputs(deployment);
  const webhookUrl = outputs[STACK_OUTPUTS.webhookUrl];
  const functions = new Map(
    inTemplateOrder(
      deployment,
      [...deployment.functions].map(([logicalId, fn]) => ({ logicalId, fn })),
    ).map(({ logicalId, fn }) => [logicalId, fn] as const),
  );
  const { endpoints, faults } = deployment.standins;
  let stopped = false;
  return {
    stackName: deployment.stackName,
    region: deployment.settings.region,
    accountId: deployment.settings.accountId,
    endpoints,
    sqsEndpoint: endpoints.sqs,
    dynamodbEndpoint: endpoints.dynamodb,
    secretsManagerEndpoint: endpoints.secretsManager,
    apiEndpoints: deployment.apiEndpoints,
    ...(typeof webhookUrl === 'string' ? { webhookUrl } : {}),
    queues: inTemplateOrder(deployment, deployment.queues),
    tables: inTemplateOrder(deployment, deployment.tables),
    buckets: inTemplateOrder(deployment, deployment.buckets),
    functions,
    customResources: inTemplateOrder(deployment, deployment.customResources),
    outputs,
    faults,
    eventbridge: deployment.standins.eventbridge,
    startEventSources: () => deployment.eventSources.forEach((s) => s.start()),
    invoke: async (functionId, event) => {
      const all = [...functions.values()];
      const fn =
        functions.get(functionId) ??
        all.find((f) => f.definition.displayName === functionId || f.definition.functionName === functionId);
      if (!fn)
        throw new Error(
          `no function ${functionId}; the stack has ${all.map((f) => f.definition.displayName).join(', ')}`,
        );
      return (await fn.invoke(event)).value;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await deployment.stopAll();
    },
  };
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const settings: DeploymentSettings = {
    region: options.region ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    host: options.host ?? '127.0.0.1',
    options,
  };
  const stack = loadStack(options.cdkOut, options.stackName);
  const standins = await startStandins({
    region: settings.region,
    accountId: settings.accountId,
    host: settings.host,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.ports ? { ports: options.ports } : {}),
    portHint: (service) => options.portHint?.(service) ?? `choose another ${service} port, or 0 for a free one`,
  });
  const deployment = new Deployment(stack, settings, standins);
  try {
    for (const [name, value] of Object.entries(options.secrets ?? {})) standins.secrets.put(name, value);
    await deploy(deployment, RESOURCE_KINDS, FALLBACK_KIND);
    await createArchiveBucketPassedIn(deployment);
    return localStackOf(deployment);
  } catch (err: unknown) {
    await deployment.stopAll();
    throw err;
  }
}
