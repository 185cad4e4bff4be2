import type { Logger } from 'pino';

/**
 * Waits for SIGTERM or SIGINT, then runs `stop` once and resolves with the
 * exit code: 0 when it finished, 1 when it threw (the error is logged).
 * A second signal while stopping changes nothing.
 */
export function stopOnSignal(logger: Logger, stoppingMessage: string, stop: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, stoppingMessage);

      try {
        await stop();
        logger.info('stopped');
        resolve(0);
      } catch (error) {
        logger.error({ err: error }, 'failed to stop cleanly');
        resolve(1);
      }
    };
    process.once('SIGTERM', () => void onSignal('SIGTERM'));
    process.once('SIGINT', () => void onSignal('SIGINT'));
  });
}
