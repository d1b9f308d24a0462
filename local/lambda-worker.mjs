// One Lambda execution environment: loads a function's deployable bundle the way the Node.js
// runtime does (module path and export from the `Handler` setting) and runs one invocation at
// a time. Plain JavaScript so it runs in a worker thread without a TypeScript loader.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

const {
  codeDir,
  handler: handlerSetting,
  functionName,
  functionArn,
  memorySize,
  logGroupName,
  logStreamName,
} = workerData;

function errorPayload(err, fallbackType) {
  if (err instanceof Error) {
    return {
      errorType: err.name && err.name !== 'Error' ? err.name : (fallbackType ?? 'Error'),
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    };
  }
  return {
    errorType: fallbackType ?? 'Error',
    errorMessage: typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)),
    trace: [],
  };
}

class HandlerError extends Error {}

async function loadHandler() {
  // `dir/file.exportName`: the module is everything before the last dot, as on Lambda.
  const dot = handlerSetting.lastIndexOf('.');
  if (dot <= 0)
    throw Object.assign(new HandlerError(`Bad handler ${handlerSetting}: missing module or export name`), {
      name: 'Runtime.MalformedHandlerName',
    });
  const modulePath = handlerSetting.slice(0, dot);
  const exportName = handlerSetting.slice(dot + 1);
  const base = path.resolve(codeDir, modulePath);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
  if (!file) {
    throw Object.assign(new HandlerError(`Error: Cannot find module '${modulePath}'`), {
      name: 'Runtime.ImportModuleError',
    });
  }
  const mod = await import(pathToFileURL(file).href);
  const fn = mod[exportName] ?? mod.default?.[exportName];
  if (typeof fn !== 'function') {
    throw Object.assign(new HandlerError(`${handlerSetting} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  }
  return fn;
}

function contextFor(message) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn,
    memoryLimitInMB: String(memorySize),
    awsRequestId: message.requestId,
    logGroupName,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    // The long-deprecated context methods fail loudly rather than silently doing nothing.
    done: () => {
      throw new Error('context.done is not supported by the Node.js 22 runtime');
    },
    succeed: () => {
      throw new Error('context.succeed is not supported by the Node.js 22 runtime');
    },
    fail: () => {
      throw new Error('context.fail is not supported by the Node.js 22 runtime');
    },
  };
}

let handler;
try {
  handler = await loadHandler();
  parentPort.postMessage({ type: 'ready' });
} catch (err) {
  parentPort.postMessage({ type: 'initError', error: errorPayload(err, 'Runtime.ImportModuleError') });
}

parentPort.on('message', async (message) => {
  if (message.type !== 'invoke' || !handler) return;
  try {
    const context = contextFor(message);
    const result =
      handler.length >= 3
        ? await new Promise((resolve, reject) => {
            const returned = handler(message.event, context, (err, value) => (err ? reject(err) : resolve(value)));
            if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
          })
        : await handler(message.event, context);
    // Lambda serializes the result as JSON: `undefined` becomes null, class instances plain objects.
    const json = JSON.stringify(result);
    parentPort.postMessage({
      type: 'result',
      id: message.id,
      ok: true,
      value: json === undefined ? null : JSON.parse(json),
    });
  } catch (err) {
    parentPort.postMessage({ type: 'result', id: message.id, ok: false, error: errorPayload(err) });
  }
});
