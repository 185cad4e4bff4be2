import type { DispatchLogger, Dispatcher } from './dispatcher.js';

export interface RunnerOptions {
  /** The pause between passes, in milliseconds; default 1000. */
  pollMillis?: number;
  logger?: DispatchLogger;
}

export interface RunningDispatcher {
  /** Stops the loop: no new pass starts, and the returned promise resolves once the pass in flight has finished. */
  stop(): Promise<void>;
}

/**
 * Runs dispatcher passes in a loop, pausing `pollMillis` after each, until
 * stopped. A failed pass is logged and the loop goes on with the next one.
 */
export function startDispatcher(dispatcher: Dispatcher, options: RunnerOptions = {}): RunningDispatcher {
  const pollMillis = options.pollMillis ?? 1000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const tick = (): void => {
    timer = undefined;
    inFlight = runOnePass(dispatcher, options.logger).finally(() => {
      if (!stopped) timer = setTimeout(tick, pollMillis);
    });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await inFlight;
    },
  };
}

async function runOnePass(dispatcher: Dispatcher, logger: DispatchLogger | undefined): Promise<void> {
  try {
    const result = await dispatcher.runPass();
    if (result.attempted > 0) logger?.info({ ...result }, 'dispatcher pass finished');
  } catch (error) {
    logger?.error({ err: error }, 'dispatcher pass failed; the next pass retries');
  }
}
