import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
} from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import {
  eventRuleOutputPrefix,
  queueOutputIds,
  STATE_QUEUE_OUTPUT_PREFIX,
  subscriberOutputPrefix,
} from '../../lib/stack-outputs';
import { deadLetterSourceRole, STATE_QUEUE_ROLE } from '../../lib/template-contract';
import { CliError, UsageError, type CliCommand } from '../command';
import {
  explainAwsError,
  resolveStackContext,
  STACK_OPTIONS,
  STACK_OPTIONS_HELP,
  stackOptionsFrom,
  type StackContext,
} from '../stack-context';

/** A pipeline queue and its dead-letter queue, by URL. */
export interface QueuePair {
  /** `state` or a subscriber's name (a deployed stack's: its output prefix, `SubscriberCrmSync`). */
  readonly name: string;
  /** What `--queue` takes to find this pair again: `state`, the subscriber's name, or its PascalCase form. */
  readonly queueArg: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/**
 * The stack's output id prefixes a queue's name may have (`state` -> `State`, `crm-sync` ->
 * `SubscriberCrmSync`, an event rule `failures` -> `EventRuleFailures`); names are unique across them.
 */
function outputPrefixes(name: string): string[] {
  return name === STATE_QUEUE_ROLE
    ? [STATE_QUEUE_OUTPUT_PREFIX]
    : [subscriberOutputPrefix(name), eventRuleOutputPrefix(name)];
}

/**
 * The DLQ URL outputs of the state queue, the subscribers and the event rules: `StateDlqUrl`,
 * `Subscriber<Name>DlqUrl`, `EventRule<Name>DlqUrl`.
 */
const DLQ_URL_OUTPUT = new RegExp(
  `^(${STATE_QUEUE_OUTPUT_PREFIX}|${subscriberOutputPrefix('')}\\w+|${eventRuleOutputPrefix('')}\\w+)${queueOutputIds('').dlqUrl}$`,
);

/** The local stack file's queues by role: each `<role>Dlq` with its `<role>` queue. */
function localPairs(urls: Readonly<Record<string, string>>): QueuePair[] {
  const pairs: QueuePair[] = [];
  for (const [role, dlqUrl] of Object.entries(urls)) {
    const name = deadLetterSourceRole(role);
    const queueUrl = name === undefined ? undefined : urls[name];
    if (name !== undefined && queueUrl) pairs.push({ name, queueArg: name, queueUrl, dlqUrl });
  }
  return pairs;
}

function deployedPairs(outputs: Readonly<Record<string, string>>): QueuePair[] {
  const pairs: QueuePair[] = [];
  for (const [key, dlqUrl] of Object.entries(outputs)) {
    const prefix = DLQ_URL_OUTPUT.exec(key)?.[1];
    const queueUrl = prefix === undefined ? undefined : outputs[queueOutputIds(prefix).queueUrl];
    if (prefix === undefined || !queueUrl) continue;
    const isState = prefix === STATE_QUEUE_OUTPUT_PREFIX;
    // The outputs keep only the PascalCase name, which --queue accepts (PascalCasing it changes nothing).
    const kindPrefix = prefix.startsWith(eventRuleOutputPrefix(''))
      ? eventRuleOutputPrefix('')
      : subscriberOutputPrefix('');
    const queueArg = isState ? STATE_QUEUE_ROLE : prefix.slice(kindPrefix.length);
    pairs.push({ name: isState ? STATE_QUEUE_ROLE : prefix, queueArg, queueUrl, dlqUrl });
  }
  return pairs;
}

/** Every queue pair the stack describes: `state` first, then the subscribers. */
export function queuePairs(ctx: StackContext): QueuePair[] {
  const pairs = ctx.kind === 'local' ? localPairs(ctx.local?.queueUrls ?? {}) : deployedPairs(ctx.outputs);
  return pairs.sort((a, b) =>
    a.name === STATE_QUEUE_ROLE ? -1 : b.name === STATE_QUEUE_ROLE ? 1 : a.name.localeCompare(b.name),
  );
}

/** The pair for `--queue <name>`: `state` or a subscriber's name as configured. */
export function findQueuePair(ctx: StackContext, name: string): QueuePair {
  const pairs = queuePairs(ctx);
  const found =
    ctx.kind === 'local'
      ? pairs.find((p) => p.name === name)
      : outputPrefixes(name)
          .map((prefix) => {
            const ids = queueOutputIds(prefix);
            const dlqUrl = ctx.outputs[ids.dlqUrl];
            const queueUrl = ctx.outputs[ids.queueUrl];
            return dlqUrl && queueUrl ? { name, queueArg: name, queueUrl, dlqUrl } : undefined;
          })
          .find((pair) => pair !== undefined);
  if (!found) {
    const known = pairs.map((p) => p.queueArg).join(', ') || 'none';
    throw new CliError(
      `no queue "${name}" with a DLQ in ${ctx.kind === 'local' ? ctx.source : `stack "${ctx.source}"`} (known: ${known})`,
    );
  }
  return found;
}

async function attributes(
  sqs: SQSClient,
  queueUrl: string,
  names: ('QueueArn' | 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesNotVisible')[],
): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: names }));
  return Attributes ?? {};
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeTask(task: ListMessageMoveTasksResultEntry): string {
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const total = task.ApproximateNumberOfMessagesToMove;
  return `${task.Status ?? 'UNKNOWN'}: ${moved}${total !== undefined ? ` of ${total}` : ''} message(s) moved`;
}

export const redrive: CliCommand = {
  name: 'redrive',
  summary: "move a dead-letter queue's messages back to its source queue",
  help: `Usage: volt-webhooks redrive [--queue state|<subscriber>|<event rule>] [--rate <n>] [--local | --stack <name>]

Starts an SQS message move task from the queue's DLQ back to the queue itself and reports its
progress until it ends. Fix what sent the messages there first: they count receives again from 0.

  --queue <name>         state (default), a subscriber's name or an event rule's name
  --rate <n>             at most n messages per second (default: as fast as SQS moves them)
  --interval <seconds>   how often progress is checked (default 2)
  --json                 print the final task state as JSON

Exit code 0 when the task completed (or the DLQ was empty), 1 when it failed or was cancelled.

${STACK_OPTIONS_HELP}`,
  async run(argv, io) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STACK_OPTIONS,
        queue: { type: 'string', default: STATE_QUEUE_ROLE },
        rate: { type: 'string' },
        interval: { type: 'string', default: '2' },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    });
    const rate = values.rate === undefined ? undefined : Number(values.rate);
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500))
      throw new UsageError('--rate must be a whole number from 1 to 500');
    const intervalMs = Number(values.interval) * 1000;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0)
      throw new UsageError('--interval must be a positive number of seconds');

    const ctx = await resolveStackContext(stackOptionsFrom(values));
    const pair = findQueuePair(ctx, values.queue);
    const sqs = new SQSClient({ ...ctx.sqs });
    try {
      const dlq = await attributes(sqs, pair.dlqUrl, [
        'QueueArn',
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
      ]);
      const source = await attributes(sqs, pair.queueUrl, ['QueueArn']);
      const waiting = Number(dlq['ApproximateNumberOfMessages'] ?? '0');
      const inFlight = Number(dlq['ApproximateNumberOfMessagesNotVisible'] ?? '0');
      if (waiting === 0) {
        const note =
          inFlight > 0 ? ` (${inFlight} in flight: someone is reading the DLQ; retry when they are done)` : '';
        io.out(
          values.json
            ? JSON.stringify({ queue: pair.name, status: 'EMPTY', moved: 0 })
            : `The ${pair.name} DLQ is empty: nothing to redrive${note}.`,
        );
        return 0;
      }
      const sourceArn = dlq['QueueArn'];
      const destinationArn = source['QueueArn'];
      if (!sourceArn || !destinationArn) throw new CliError('SQS did not return the queue ARNs');
      const { TaskHandle } = await sqs.send(
        new StartMessageMoveTaskCommand({
          SourceArn: sourceArn,
          DestinationArn: destinationArn,
          ...(rate !== undefined ? { MaxNumberOfMessagesPerSecond: rate } : {}),
        }),
      );
      if (!values.json)
        io.out(`Moving ${waiting} message(s) from the ${pair.name} DLQ back to the ${pair.name} queue...`);
      let last = '';
      for (;;) {
        const { Results } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }));
        const task = (Results ?? []).find((t) => t.TaskHandle === TaskHandle) ?? Results?.[0];
        if (!task) throw new CliError('the move task is not listed by SQS; check the DLQ in the console');
        const line = describeTask(task);
        if (!values.json && line !== last) io.out(`  ${line}`);
        last = line;
        if (task.Status !== 'RUNNING' && task.Status !== 'CANCELLING') {
          const ok = task.Status === 'COMPLETED';
          if (values.json) {
            io.out(
              JSON.stringify({
                queue: pair.name,
                status: task.Status,
                moved: task.ApproximateNumberOfMessagesMoved ?? 0,
                failureReason: task.FailureReason,
              }),
            );
          } else if (ok) {
            io.out(`Done: the ${pair.name} queue will process them again.`);
          } else {
            io.out(`The move task ended ${task.Status}${task.FailureReason ? `: ${task.FailureReason}` : ''}.`);
          }
          return ok ? 0 : 1;
        }
        await sleep(intervalMs);
      }
    } catch (err: unknown) {
      throw explainAwsError(err, ctx);
    } finally {
      sqs.destroy();
    }
  },
};
