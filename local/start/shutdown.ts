/**
 * Ctrl-C (SIGINT) and SIGTERM stop the local stack cleanly: the custom resources get their
 * `Delete`, every server closes, and the process ends by itself.
 */

/**
 * Runs `stop` on the first signal (exit code 0), or when the returned function is called (e.g.
 * with 1 after a failed start); only once, however often it is asked.
 */
export function stopOnSignals(stop: () => Promise<void>): (exitCode: number) => Promise<void> {
  let stopping: Promise<void> | undefined;
  const run = async (exitCode: number) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping ??= (async () => {
      console.log('\nstopping the local stack...');
      await stop();
    })();
    await stopping;
    process.exitCode = exitCode;
  };
  const onSignal = () => void run(0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return run;
}
