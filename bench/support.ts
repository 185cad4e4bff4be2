/** Timing, machine description and table formatting shared by the benchmarks. */
import { readFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

/** How long a measured phase took and how many items it completed. */
export interface Timing {
  items: number;
  seconds: number;
}

export interface PhaseOptions {
  /** Items to complete; workers stop taking new ones once this many are started. */
  items: number;
  /** Workers running at once, each one item at a time. */
  workers: number;
  /** Keep starting items until at least this many milliseconds have passed. */
  minMillis?: number;
}

/**
 * Runs `task` with `workers` callers in flight until `items` have started
 * (and `minMillis` have passed), and returns the wall time of the whole
 * phase. Each call gets a running index, so tasks can pick their inputs.
 */
export async function runPhase(options: PhaseOptions, task: (index: number) => Promise<void>): Promise<Timing> {
  const minMillis = options.minMillis ?? 0;
  const started = performance.now();
  let next = 0;

  const keepGoing = () => next < options.items || performance.now() - started < minMillis;
  const worker = async () => {
    while (keepGoing()) {
      const index = next;
      next += 1;
      await task(index);
    }
  };

  await Promise.all(Array.from({ length: options.workers }, worker));
  return { items: next, seconds: (performance.now() - started) / 1000 };
}

/** Runs a synchronous task one item at a time, with the same stopping rule as `runPhase`. */
export function runPhaseSync(options: Omit<PhaseOptions, 'workers'>, task: (index: number) => void): Timing {
  const minMillis = options.minMillis ?? 0;
  const started = performance.now();
  let next = 0;

  while (next < options.items || performance.now() - started < minMillis) {
    task(next);
    next += 1;
  }
  return { items: next, seconds: (performance.now() - started) / 1000 };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function rate(timing: Timing): number {
  return timing.items / timing.seconds;
}

/** The hardware and load a run saw, so figures can be read against them. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  freeMemoryGiB: number;
  node: string;
  /** 1, 5 and 15 minute load averages. */
  load: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpuModel(),
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    node: process.version,
    load: loadavg().map((value) => round(value, 2)),
  };
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // Not Linux: fall back to what Node reports.
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Formats a number with thousands separators and the given decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Renders rows as a plain-text table with right-aligned columns after the first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Removes any user name and password from a database URL before it is printed. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
