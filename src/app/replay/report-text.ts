import type { RunFigures } from './metrics.js';
import { formatCount, formatDays, formatMoney, formatShare, SKIP_LABELS, type ReplayReport } from './report.js';
import type { SkipReason } from './history.js';

/** Renders the report as plain text for a terminal: the input, then one column of figures per policy. */
export function renderText(report: ReplayReport): string {
  const { source, settings } = report;
  const out: string[] = [];

  out.push(`Replay of ${source.file}: ${formatCount(source.rows)} rows, ${source.firstDay ?? '–'} to ${source.lastDay ?? '–'}`);
  out.push(
    `  ${formatCount(source.orders)} orders with ${formatCount(source.orderLines)} lines of ${formatCount(source.skus)} SKUs, ` +
      `${formatCount(source.cancellationRows)} cancellation rows`,
  );
  for (const [reason, count] of Object.entries(source.skipped) as [SkipReason, number][]) {
    if (count > 0) out.push(`  skipped ${formatCount(count)} rows: ${SKIP_LABELS[reason]}`);
  }
  const opening = 'units' in settings.openingStock ? `${settings.openingStock.units} units each` : `${settings.openingStock.coverDays} days of cover`;
  out.push(
    `  lead time ${settings.leadTimeDays} days, handling ${settings.handlingDays} business days, service level ${settings.serviceLevel}, ` +
      `opening stock ${opening}, late ${formatShare(settings.lateRate)}, short ${formatShare(settings.shortRate)} (seed ${settings.seed})`,
  );
  out.push('');
  out.push(...table(report.runs));

  if (report.comparison) {
    const c = report.comparison;
    const currency = report.runs[0]!.currency;
    out.push('');
    out.push(
      `Selling only from stock would have lost ${formatCount(c.lostUnits)} units (${formatShare(c.lostUnitShare)}) and ` +
        `${formatMoney(c.lostAmount, currency)} (${formatShare(c.lostAmountShare)}) of the sales that backorders kept: ` +
        `${formatCount(c.ordersLost)} orders lost whole and ${formatCount(c.ordersCut)} cut to what was in stock.`,
    );
  }
  return `${out.join('\n')}\n`;
}

function table(runs: RunFigures[]): string[] {
  const rows: [string, (run: RunFigures) => string][] = [
    ['policy', (r) => r.policy],
    ['orders placed', (r) => formatCount(r.orders.placed)],
    ['lines placed', (r) => formatCount(r.lines.placed)],
    ['units placed', (r) => formatCount(r.units.placed)],
    ['sales', (r) => formatMoney(r.amounts.placed, r.currency)],
    ['fill rate (units from stock)', (r) => formatShare(r.units.fillRate)],
    ['lines backordered', (r) => formatShare(r.lines.backorderedShare)],
    ['mean wait to last unit shipped', (r) => formatDays(r.wait.meanDays, 2)],
    ['95th percentile wait', (r) => formatDays(r.wait.p95Days, 0)],
    ['shipped by the promised date', (r) => formatShare(r.promises.byPromiseShare)],
    ['lines with a delay notice', (r) => formatCount(r.promises.delayNoticeLines)],
    ['units lost (stock_only)', (r) => formatCount(r.units.lost)],
    ['sales lost', (r) => formatMoney(r.amounts.lost, r.currency)],
    ['cancellations matched', (r) => `${formatCount(r.cancellations.matched + r.cancellations.partiallyMatched)} of ${formatCount(r.cancellations.rows)}`],
    ['purchase orders', (r) => `${formatCount(r.purchasing.orders)} (${formatCount(r.purchasing.late)} late, ${formatCount(r.purchasing.short)} short)`],
    ['lines open at the end', (r) => formatCount(r.openAtEnd.lines)],
    ['invariants', (r) => (r.invariants.violations === 0 ? 'all hold' : `${r.invariants.violations} broken`)],
    ['replay time', (r) => `${r.timing.seconds.toFixed(1)} s, ${formatCount(Math.round(r.timing.linesPerSecond))} lines/s`],
    ['invariant check time', (r) => `${r.timing.checkSeconds.toFixed(1)} s`],
  ];

  const cells = rows.map(([label, value]) => [label, ...runs.map(value)]);
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  return cells.map((row) => `  ${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('   ')}`);
}
