import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';

/**
 * Runs Lambda functions from their deployable bundles, each execution environment a worker
 * thread with its own `process.env` (the function's resolved environment plus what Lambda
 * sets), one invocation at a time per environment, and the function's timeout enforced by
 * ending the environment, as Lambda does.
 */

export interface FunctionDefinition {
  /** The template's logical id. */
  readonly logicalId: string;
  /** Short readable name for logs (e.g. `ingest`). */
  readonly displayName: string;
  /** The function's local name (its `Ref`). */
  readonly functionName: string;
  readonly functionArn: string;
  /** Directory of the unpacked bundle (the cdk.out asset). */
  readonly codeDir: string;
  /** The template's `Handler`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  /** Seconds. */
  readonly timeout: number;
  readonly memorySize: number;
  /** Resolved `Environment.Variables` plus the local endpoints and credentials. */
  readonly environment: Readonly<Record<string, string>>;
  /** Environments kept at most at once. @default 4 */
  readonly maxConcurrency?: number;
}

/** What a failed invocation reports, in Lambda's shape. */
export interface FunctionErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}

export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  constructor(
    readonly functionName: string,
    readonly payload: FunctionErrorPayload,
    readonly phase: 'init' | 'invoke' | 'timeout',
  ) {
    super(
      `${functionName} ${phase === 'init' ? 'failed to initialize' : phase === 'timeout' ? 'timed out' : 'failed'}: ${payload.errorType}: ${payload.errorMessage}`,
    );
  }
}

/** One line a function wrote to stdout/stderr. */
export interface FunctionLogLine {
  readonly function: string;
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
  readonly requestId?: string;
}

export interface InvokeResult {
  readonly requestId: string;
  readonly value: unknown;
  readonly durationMs: number;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'initError'; error: FunctionErrorPayload }
  | { type: 'result'; id: string; ok: true; value: unknown }
  | { type: 'result'; id: string; ok: false; error: FunctionErrorPayload };

const WORKER_FILE = path.join(__dirname, 'lambda-worker.mjs');

/** Lambda runs NODE_OPTIONS flags; worker threads take them as execArgv. Only per-thread flags are allowed. */
function execArgvFrom(environment: Readonly<Record<string, string>>): string[] {
  const flags = (environment['NODE_OPTIONS'] ?? '').split(/\s+/).filter(Boolean);
  return flags.filter((f) => f === '--enable-source-maps' || f.startsWith('--stack-trace-limit'));
}

/** One execution environment. */
class Sandbox {
  private readonly worker: Worker;
  readonly ready: Promise<void>;
  private pending?: { id: string; resolve: (value: unknown) => void; reject: (err: FunctionError) => void };
  private dead = false;
  currentRequestId: string | undefined;

  constructor(
    private readonly def: FunctionDefinition,
    onLog: (line: FunctionLogLine) => void,
    private readonly onExit: (sandbox: Sandbox) => void,
  ) {
    this.worker = new Worker(WORKER_FILE, {
      workerData: {
        codeDir: def.codeDir,
        handler: def.handler,
        functionName: def.functionName,
        functionArn: def.functionArn,
        memorySize: def.memorySize,
        logGroupName: def.environment['AWS_LAMBDA_LOG_GROUP_NAME'],
        logStreamName: def.environment['AWS_LAMBDA_LOG_STREAM_NAME'],
      },
      env: { ...def.environment },
      execArgv: execArgvFrom(def.environment),
      stdout: true,
      stderr: true,
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: this.worker[stream] }).on('line', (line) =>
        onLog({
          function: def.displayName,
          stream,
          line,
          ...(this.currentRequestId ? { requestId: this.currentRequestId } : {}),
        }),
      );
    }
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'initError') reject(new FunctionError(def.displayName, message.error, 'init'));
        else if (message.type === 'result' && this.pending?.id === message.id) {
          const { resolve: done, reject: fail } = this.pending;
          this.pending = undefined;
          if (message.ok) done(message.value);
          else fail(new FunctionError(def.displayName, message.error, 'invoke'));
        }
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', (err: Error) => {
        // An uncaught exception or unhandled rejection ends the environment, as on Lambda.
        const payload = {
          errorType: err.name === 'Error' ? 'Runtime.UnhandledError' : err.name,
          errorMessage: err.message,
          trace: (err.stack ?? '').split('\n'),
        };
        reject(new FunctionError(def.displayName, payload, 'init'));
        this.failPending(new FunctionError(def.displayName, payload, 'invoke'));
      });
      this.worker.on('exit', () => {
        this.dead = true;
        reject(
          new FunctionError(
            def.displayName,
            { errorType: 'Runtime.ExitError', errorMessage: 'the execution environment exited' },
            'init',
          ),
        );
        this.failPending(
          new FunctionError(
            def.displayName,
            { errorType: 'Runtime.ExitError', errorMessage: 'the execution environment exited' },
            'invoke',
          ),
        );
        this.onExit(this);
      });
    });
    // Nobody may be waiting yet; the rejection is reported through `invoke`.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return !this.dead;
  }

  private failPending(err: FunctionError): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  async invoke(event: unknown, requestId: string): Promise<unknown> {
    await this.ready;
    const timeoutMs = this.def.timeout * 1000;
    const deadline = Date.now() + timeoutMs;
    this.currentRequestId = requestId;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.failPending(
            new FunctionError(
              this.def.displayName,
              {
                errorType: 'Sandbox.Timedout',
                errorMessage: `Task timed out after ${this.def.timeout.toFixed(2)} seconds`,
              },
              'timeout',
            ),
          );
          void this.terminate();
        }, timeoutMs);
        this.pending = {
          id: requestId,
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        this.worker.postMessage({ type: 'invoke', id: requestId, requestId, deadline, event });
      });
    } finally {
      this.currentRequestId = undefined;
    }
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}

/** A function's pool of execution environments. */
export class LocalFunction {
  private readonly idle: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private readonly waiting: ((sandbox: Sandbox) => void)[] = [];
  private stopped = false;

  constructor(
    readonly definition: FunctionDefinition,
    private readonly onLog: (line: FunctionLogLine) => void,
  ) {}

  private spawn(): Sandbox {
    const sandbox = new Sandbox(this.definition, this.onLog, (s) => {
      this.all.delete(s);
      const i = this.idle.indexOf(s);
      if (i >= 0) this.idle.splice(i, 1);
      // An invocation waiting for a free environment gets a fresh one in place of the lost one.
      const next = this.stopped ? undefined : this.waiting.shift();
      if (next) next(this.spawn());
    });
    this.all.add(sandbox);
    return sandbox;
  }

  /** Starts one environment and waits for its init, so a bad handler or missing env var shows at start. */
  async warm(): Promise<void> {
    const sandbox = this.spawn();
    try {
      await sandbox.ready;
      this.release(sandbox);
    } catch (err: unknown) {
      await sandbox.terminate();
      throw err;
    }
  }

  private acquire(): Promise<Sandbox> {
    const idle = this.idle.pop();
    if (idle) return Promise.resolve(idle);
    if (this.all.size < (this.definition.maxConcurrency ?? 4)) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(sandbox: Sandbox): void {
    if (!sandbox.alive || this.stopped) return;
    const next = this.waiting.shift();
    if (next) next(sandbox);
    else this.idle.push(sandbox);
  }

  /** Invokes the function synchronously (RequestResponse); rejects with {@link FunctionError}. */
  async invoke(event: unknown): Promise<InvokeResult> {
    if (this.stopped) throw new Error(`${this.definition.displayName} is stopped`);
    const requestId = randomUUID();
    const started = performance.now();
    const sandbox = await this.acquire();
    try {
      const value = await sandbox.invoke(event, requestId);
      return { requestId, value, durationMs: performance.now() - started };
    } catch (err: unknown) {
      // Lambda discards an environment whose init failed, so the next invoke initializes afresh.
      if (err instanceof FunctionError && err.phase === 'init') await sandbox.terminate();
      throw err;
    } finally {
      this.release(sandbox);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.all].map((s) => s.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }
}
