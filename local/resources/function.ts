import { randomUUID } from 'node:crypto';
import type { Deployment } from '../deployment';
import { endpointEnvironment } from '../endpoints';
import { LocalFunction } from '../lambda-runtime';
import { displayNameFor } from '../names';
import { constructPath, functionCodeDir, numberOr, stringOf, TemplateError, type JsonObject } from '../template';
import type { ResourceKind } from './kind';

/** Lambda functions, each run from its bundle in the cloud assembly with the environment Lambda would give it. */

/** Set on a custom-resources Provider's framework function: it names the user's onEvent function. */
export const PROVIDER_ON_EVENT_VARIABLE = 'USER_ON_EVENT_FUNCTION_ARN';
export const PROVIDER_IS_COMPLETE_VARIABLE = 'USER_IS_COMPLETE_FUNCTION_ARN';

/** The template's variables plus what Lambda sets, and the stand-ins' endpoints. */
function lambdaEnvironment(id: string, props: JsonObject, deployment: Deployment): Record<string, string> {
  const { region } = deployment.settings;
  const functionName = deployment.refs.get(id) ?? id;
  const variables = ((props['Environment'] as JsonObject | undefined)?.['Variables'] ?? {}) as JsonObject;
  const loggingConfig = props['LoggingConfig'] as JsonObject | undefined;
  const logFormat = stringOf(loggingConfig?.['LogFormat']);
  const logLevel = stringOf(loggingConfig?.['ApplicationLogLevel']);
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(variables)) environment[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return Object.assign(environment, {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(numberOr(props['MemorySize'], 128)),
    AWS_LAMBDA_LOG_GROUP_NAME: stringOf(loggingConfig?.['LogGroup']) ?? `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    ...(logFormat ? { AWS_LAMBDA_LOG_FORMAT: logFormat } : {}),
    // As Lambda's logging controls do; Powertools Logger follows it.
    ...(logLevel ? { AWS_LAMBDA_LOG_LEVEL: logLevel } : {}),
    LAMBDA_TASK_ROOT: functionCodeDir(deployment.stack, id),
    TZ: 'UTC',
    ...endpointEnvironment(deployment.standins.endpoints),
    // The warning is about this machine's Node 20, not the function's Lambda runtime.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
}

/** The local override for this function (fault tests), else the template's `Timeout`. */
function timeoutFor(displayName: string, props: JsonObject, deployment: Deployment): number {
  const overrides = deployment.settings.options.functionTimeouts;
  const override = overrides && Object.hasOwn(overrides, displayName) ? overrides[displayName] : undefined;
  return override ?? numberOr(props['Timeout'], 3);
}

function localFunction(id: string, props: JsonObject, deployment: Deployment): LocalFunction {
  const runtime = stringOf(props['Runtime']) ?? '';
  if (!runtime.startsWith('nodejs'))
    throw new TemplateError(`${id}: runtime ${runtime || '(none)'} cannot run locally; only Node.js functions do`);
  const handler = stringOf(props['Handler']);
  if (!handler) throw new TemplateError(`${id}: no Handler`);
  const resource = deployment.template.Resources[id];
  const displayName = displayNameFor(id, resource ? constructPath(resource) : undefined);
  const reserved = numberOr(props['ReservedConcurrentExecutions'], 4);
  return new LocalFunction(
    {
      logicalId: id,
      displayName,
      functionName: deployment.refs.get(id) ?? id,
      functionArn: deployment.attribute(id, 'Arn'),
      codeDir: functionCodeDir(deployment.stack, id),
      handler,
      runtime,
      timeout: timeoutFor(displayName, props, deployment),
      memorySize: numberOr(props['MemorySize'], 128),
      environment: lambdaEnvironment(id, props, deployment),
      maxConcurrency: Math.max(1, Math.min(reserved, 4)),
    },
    (line) => deployment.emit({ kind: 'log', ...line }),
  );
}

export const functionKind: ResourceKind = {
  name: 'Lambda function',
  types: ['AWS::Lambda::Function'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['FunctionName']) ?? deployment.physicalName(id, 64);
    return { ref: name, attributes: { Arn: deployment.arn('lambda', `function:${name}`) } };
  },

  async start(id, _resource, deployment) {
    const fn = localFunction(id, deployment.properties(id), deployment);
    deployment.functions.set(id, fn);
    const stop = () => fn.stop();
    // A Provider's framework function is never invoked locally (its onEvent function is), and it
    // needs the SDK copy that only Lambda's runtime provides: it is not started.
    if (fn.definition.environment[PROVIDER_ON_EVENT_VARIABLE]) return stop;
    try {
      await fn.warm();
    } catch (err: unknown) {
      await stop();
      throw new Error(
        `function failed to initialize, as it would on Lambda: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    return stop;
  },
};
