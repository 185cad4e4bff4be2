import cliProgress from 'cli-progress';

/** Files with more rows than this get a progress bar while they are written. */
export const PROGRESS_THRESHOLD = 1000;

export interface Progress {
  advance(units: number): void;
  /** Starts again from zero, for a transaction that is retried. */
  reset(): void;
  stop(): void;
}

const silent: Progress = { advance() {}, reset() {}, stop() {} };

/**
 * Starts a progress bar on standard error for `total` units of work. The bar
 * is silent when the total is at most the threshold or when standard error
 * is not a terminal, so a log file or a pipe gets only the final summary.
 */
export function startProgress(label: string, total: number): Progress {
  if (total <= PROGRESS_THRESHOLD || !process.stderr.isTTY) return silent;

  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {percentage}% | {value}/{total} rows | {eta_formatted} left`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  let running = true;
  return {
    advance: (units) => bar.increment(units),
    reset: () => bar.update(0),
    stop: () => {
      if (running) bar.stop();
      running = false;
    },
  };
}
