import type { EventBridgeActivity } from './eventbridge';
import type { LocalStackEvent } from './model';

/**
 * Turns the local stack's events into one readable line each: requests, what each function
 * logged (Powertools' JSON lines shortened to level, message and the interesting keys), and
 * what every SQS batch came to.
 */

// Keys every Powertools line carries; they only add noise to a local console.
const ROUTINE_KEYS = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'requestId',
  'type',
]);

const COLORS = {
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
  cyan: '\x1b[36m',
  reset: '\x1b[0m',
} as const;

export interface LiveLogOptions {
  readonly color?: boolean;
  /** Show the function's own lines that are not JSON (e.g. console.log). @default true */
  readonly plainLines?: boolean;
  readonly write?: (line: string) => void;
}

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One line for a batch of an SQS event source. */
function batchLine(
  event: Extract<LocalStackEvent, { kind: 'batch' }>,
  paint: (c: keyof typeof COLORS, text: string) => string,
): string {
  const failed = event.failedMessageIds.length;
  const ok = event.records - failed;
  const parts = [`${event.queueName} -> ${event.functionName}: ${event.records} record(s), ${ok} done`];
  if (failed > 0) parts.push(paint('yellow', `${failed} left on the queue to retry`));
  if (event.exhaustedMessageIds.length > 0)
    parts.push(
      paint('red', `${event.exhaustedMessageIds.length} at maxReceiveCount: next receive moves them to the DLQ`),
    );
  if (event.error) parts.push(paint('red', event.error));
  return parts.join('; ');
}

/** One line for a batch of a stream event source. */
function streamLine(
  event: Extract<LocalStackEvent, { kind: 'stream' }>,
  paint: (c: keyof typeof COLORS, text: string) => string,
): string {
  const parts = [`${event.streamName} -> ${event.functionName}: ${event.records} record(s), ${event.done} done`];
  if (event.retry > 0) parts.push(`retry ${event.retry}`);
  if (event.discarded !== undefined)
    parts.push(paint('red', `${event.discarded} given up on, reported to the failure destination`));
  else if (event.error) parts.push(paint('yellow', `${event.error}; retried from there`));
  return parts.join('; ');
}

/** One line for something that happened on a bus: the event's ids and status only, never its numbers. */
function busLine(activity: EventBridgeActivity, paint: (c: keyof typeof COLORS, text: string) => string): string {
  switch (activity.kind) {
    case 'put': {
      const detail = (activity.event.detail ?? {}) as Record<string, unknown>;
      const about = ['messageId', 'status']
        .map((k) => detail[k])
        .filter((v): v is string => typeof v === 'string')
        .join(' ');
      const rules = activity.rules.length > 0 ? activity.rules.join(', ') : 'no rule';
      return `${activity.event['detail-type']}${about ? ` ${about}` : ''} on ${activity.bus} -> ${rules}`;
    }
    case 'refused':
      return paint('yellow', `${activity.detailType} refused on ${activity.bus}: ${activity.reason}`);
    case 'dead-letter':
      return paint(
        'red',
        `rule ${activity.rule} could not deliver to ${activity.target}: ${activity.error}; sent to its DLQ`,
      );
  }
}

export function createLiveLog(options: LiveLogOptions = {}): (event: LocalStackEvent) => void {
  const color = options.color ?? false;
  const write = options.write ?? ((line: string) => console.log(line));
  const paint = (c: keyof typeof COLORS, text: string) => (color ? `${COLORS[c]}${text}${COLORS.reset}` : text);
  const stamp = () => paint('dim', new Date().toISOString().slice(11, 23));
  const tag = (name: string) => name.padEnd(10).slice(0, 10);

  return (event) => {
    switch (event.kind) {
      case 'http': {
        const status =
          event.statusCode >= 500
            ? paint('red', String(event.statusCode))
            : event.statusCode >= 400
              ? paint('yellow', String(event.statusCode))
              : paint('green', String(event.statusCode));
        write(
          `${stamp()} ${tag('http')} ${event.method} ${event.path} -> ${status} (${Math.round(event.durationMs)} ms)${event.error ? `  ${event.error}` : ''}`,
        );
        return;
      }
      case 'batch':
        write(`${stamp()} ${tag('sqs')} ${batchLine(event, paint)}`);
        return;
      case 'stream':
        write(`${stamp()} ${tag('stream')} ${streamLine(event, paint)}`);
        return;
      case 'bus':
        write(`${stamp()} ${tag('event')} ${busLine(event.activity, paint)}`);
        return;
      case 'log': {
        const line = event.line.trim();
        if (!line) return;
        let parsed: Record<string, unknown> | undefined;
        if (line.startsWith('{')) {
          try {
            parsed = JSON.parse(line) as Record<string, unknown>;
          } catch {
            parsed = undefined;
          }
        }
        if (!parsed) {
          if (options.plainLines !== false)
            write(`${stamp()} ${tag(event.function)} ${event.stream === 'stderr' ? paint('red', line) : line}`);
          return;
        }
        // Metrics (EMF) lines are for CloudWatch, not for reading.
        if ('_aws' in parsed) return;
        const level = String(parsed['level'] ?? 'INFO').toUpperCase();
        const levelText =
          level === 'ERROR' || level === 'CRITICAL'
            ? paint('red', level)
            : level === 'WARN'
              ? paint('yellow', level)
              : paint('cyan', level);
        const extras = Object.entries(parsed)
          .filter(([k]) => !ROUTINE_KEYS.has(k))
          .map(([k, v]) => `${k}=${short(v)}`)
          .join(' ');
        write(
          `${stamp()} ${tag(event.function)} ${levelText} ${String(parsed['message'] ?? '')}${extras ? `  ${paint('dim', extras)}` : ''}`,
        );
        return;
      }
      case 'info':
        write(`${stamp()} ${tag('stack')} ${event.message}`);
        return;
      case 'warn':
        write(`${stamp()} ${tag('stack')} ${paint('yellow', event.message)}`);
        return;
      case 'error':
        write(`${stamp()} ${tag('stack')} ${paint('red', event.message)}`);
        return;
    }
  };
}
