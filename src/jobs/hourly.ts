const HOUR_MS = 3_600_000;

/**
 * Runs `task` now and then every hour until the returned stop function is
 * called. The timer does not keep the process alive. `task` handles its
 * own errors, since nothing awaits it.
 */
export function runHourly(task: () => Promise<void>): () => void {
  const timer = setInterval(() => void task(), HOUR_MS);
  timer.unref();
  void task();
  return () => clearInterval(timer);
}
