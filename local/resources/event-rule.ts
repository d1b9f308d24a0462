import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Deployment } from '../deployment';
import type { LocalRuleTarget } from '../eventbridge';
import { displayNameFor } from '../names';
import { constructPath, stringOf, TemplateError, type Json, type JsonObject } from '../template';
import type { ResourceKind } from './kind';

/**
 * EventBridge rules, added to their bus in the EventBridge stand-in with their pattern and their
 * targets: an SQS queue of the stack gets each matching event as its message body, a function of
 * the stack is invoked with it; a target's `DeadLetterConfig` queue gets what could not be
 * delivered, with EventBridge's message attributes. Input transformation is not emulated.
 */

function ruleArn(deployment: Deployment, bus: string, name: string): string {
  return deployment.arn('events', bus === 'default' ? `rule/${name}` : `rule/${bus}/${name}`);
}

function busOf(props: Readonly<Record<string, Json>>): string {
  const given = stringOf(props['EventBusName']) ?? 'default';
  return given.startsWith('arn:') ? given.replace(/^.*:event-bus\//, '') : given;
}

function patternOf(id: string, value: Json | undefined): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new TemplateError(`${id}: EventPattern is not JSON`);
  }
}

/** A function of `target` that sends to a queue of the stack, or `undefined` when the ARN is none. */
function queueSender(deployment: Deployment, arn: string) {
  const queue = deployment.queues.find((q) => q.arn === arn);
  if (!queue) return undefined;
  return async (body: string, attributes: Record<string, string> = {}) => {
    await deployment.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: body,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
      }),
    );
  };
}

function targetOf(id: string, rule: string, target: JsonObject, deployment: Deployment): LocalRuleTarget | undefined {
  const arn = stringOf(target['Arn']) ?? '';
  const targetId = stringOf(target['Id']) ?? arn;
  for (const unsupported of ['Input', 'InputPath', 'InputTransformer'])
    if (target[unsupported] !== undefined)
      throw new TemplateError(`${id}: target ${targetId} uses ${unsupported}, which is not emulated locally`);
  const toQueue = queueSender(deployment, arn);
  const fn = [...deployment.functions.values()].find((f) => f.definition.functionArn === arn);
  const deliver = toQueue
    ? (event: string) => toQueue(event)
    : fn
      ? async (event: string) => void (await fn.invoke(JSON.parse(event)))
      : undefined;
  if (!deliver) {
    deployment.emit({
      kind: 'warn',
      message: `${id}: target ${arn} is not a queue or function of this stack; skipped`,
    });
    return undefined;
  }
  const dlqArn = stringOf((target['DeadLetterConfig'] as JsonObject | undefined)?.['Arn']);
  const toDlq = dlqArn !== undefined ? queueSender(deployment, dlqArn) : undefined;
  if (dlqArn !== undefined && !toDlq)
    throw new TemplateError(`${id}: dead-letter queue ${dlqArn} of target ${targetId} is not a queue of this stack`);
  return {
    id: targetId,
    arn,
    deliver,
    ...(toDlq
      ? {
          deadLetter: (event: string, error: string) =>
            toDlq(event, {
              RULE_ARN: rule,
              TARGET_ARN: arn,
              ERROR_MESSAGE: error.slice(0, 256),
              EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
            }),
        }
      : {}),
  };
}

export const eventRuleKind: ResourceKind = {
  name: 'event rule',
  types: ['AWS::Events::Rule'],

  provide(id, resource, deployment) {
    const name = stringOf(resource.Properties?.['Name']) ?? deployment.physicalName(id, 64);
    const props = resource.Properties ?? {};
    const bus = typeof props['EventBusName'] === 'string' ? busOf(props) : 'default';
    // A bus given by reference resolves once the values are known; the ARN only names it.
    return { ref: name, attributes: { Arn: ruleArn(deployment, bus, name) } };
  },

  async start(id, resource, deployment) {
    const props = deployment.properties(id);
    const name = deployment.refs.get(id) ?? id;
    const bus = busOf(props);
    const { eventbridge } = deployment.standins;
    if (eventbridge.busNamed(bus) === undefined) {
      eventbridge.createBus(bus);
      deployment.emit({ kind: 'info', message: `event bus ${bus} is not in the template: created locally` });
    }
    if (props['ScheduleExpression'] !== undefined && props['EventPattern'] === undefined) {
      deployment.emit({ kind: 'warn', message: `${id}: scheduled rules do not run locally` });
      return undefined;
    }
    const arn = deployment.attribute(id, 'Arn');
    // Logs name a rule by its queue's role (a configured rule's queue has the rule's name), else by its path.
    const firstTarget = stringOf(((props['Targets'] as Json[] | undefined)?.[0] as JsonObject | undefined)?.['Arn']);
    const label =
      deployment.queues.find((q) => q.arn === firstTarget && q.role !== undefined)?.role ??
      displayNameFor(id, constructPath(resource));
    const targets = (Array.isArray(props['Targets']) ? props['Targets'] : [])
      .map((t) => targetOf(id, arn, t as JsonObject, deployment))
      .filter((t): t is LocalRuleTarget => t !== undefined);
    try {
      eventbridge.putRule({
        name,
        label,
        arn,
        busName: bus,
        pattern: patternOf(id, props['EventPattern']),
        enabled: (stringOf(props['State']) ?? 'ENABLED') === 'ENABLED',
        targets,
      });
    } catch (err: unknown) {
      throw new TemplateError(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    return async () => {
      eventbridge.removeRule(arn);
      await eventbridge.idle();
    };
  },
};
