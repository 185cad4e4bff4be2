import type { SkipReason } from './history.js';
import type { RunFigures, WeekFigures } from './metrics.js';
import { formatCount, formatDays, formatMoney, formatShare, SKIP_LABELS, type ReplayReport } from './report.js';
import { escapeXml as escape, renderChart, type ChartSeries } from './svg-chart.js';

const COLORS: Record<string, string> = { backorder: '#1f6fb2', stock_only: '#d9822b', mixed: '#1f6fb2' };

/**
 * Renders the report as one self-contained HTML page: key figures, weekly
 * charts as inline SVG, the SKUs with the most backorders, and how each
 * figure is measured. No scripts, fonts or other files are loaded.
 */
export function renderHtml(report: ReplayReport): string {
  const title = `Restock replay of ${report.source.file}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escape(title)}</h1>
${sourceSection(report)}
${figuresSection(report)}
${chartsSection(report.runs)}
${skuSection(report.runs)}
${notesSection(report)}
</body>
</html>
`;
}

function sourceSection(report: ReplayReport): string {
  const { source, settings } = report;
  const skipped = (Object.entries(source.skipped) as [SkipReason, number][])
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `<li>${formatCount(count)} rows skipped: ${escape(SKIP_LABELS[reason])}</li>`)
    .join('');
  const opening =
    'units' in settings.openingStock
      ? `${settings.openingStock.units} units of every SKU`
      : `${settings.openingStock.coverDays} days of cover of each SKU's first 30 days of demand`;
  return `<section>
<p>${formatCount(source.orders)} orders with ${formatCount(source.orderLines)} lines of ${formatCount(source.skus)} SKUs and
${formatCount(source.cancellationRows)} cancellation rows, from ${escape(source.firstDay ?? '–')} to ${escape(source.lastDay ?? '–')},
out of ${formatCount(source.rows)} rows read.</p>
<ul>${skipped}</ul>
<p>Supplier lead time ${settings.leadTimeDays} days; handling ${settings.handlingDays} business days; service level ${settings.serviceLevel};
opening stock ${escape(opening)}; ${formatShare(settings.lateRate)} of purchase orders late and ${formatShare(settings.shortRate)} short (seed ${settings.seed}).</p>
</section>`;
}

function figuresSection(report: ReplayReport): string {
  const runs = report.runs;
  const rows: [string, (run: RunFigures) => string][] = [
    ['Orders placed', (r) => formatCount(r.orders.placed)],
    ['Lines placed', (r) => formatCount(r.lines.placed)],
    ['Units placed', (r) => formatCount(r.units.placed)],
    ['Sales', (r) => formatMoney(r.amounts.placed, r.currency)],
    ['Fill rate: units allocated from stock when ordered', (r) => formatShare(r.units.fillRate)],
    ['Lines backordered when ordered', (r) => formatShare(r.lines.backorderedShare)],
    ['Mean wait, order to last unit shipped', (r) => formatDays(r.wait.meanDays, 2)],
    ['95th percentile wait', (r) => formatDays(r.wait.p95Days, 0)],
    ['Lines shipped by the promised date', (r) => formatShare(r.promises.byPromiseShare)],
    ['Lines whose estimate slipped past the promise (delay notices)', (r) => formatCount(r.promises.delayNoticeLines)],
    ['Units that could not be ordered', (r) => formatCount(r.units.lost)],
    ['Sales that could not be made', (r) => formatMoney(r.amounts.lost, r.currency)],
    ['Orders lost whole / cut to stock', (r) => `${formatCount(r.orders.lost)} / ${formatCount(r.orders.trimmed)}`],
    ['Lines open at the end', (r) => formatCount(r.openAtEnd.lines)],
    ['Invariant check', (r) => (r.invariants.violations === 0 ? 'all hold' : `${r.invariants.violations} broken`)],
  ];
  const head = runs.map((run) => `<th>${escape(run.policy)}</th>`).join('');
  const body = rows.map(([label, value]) => `<tr><td>${escape(label)}</td>${runs.map((run) => `<td class="num">${escape(value(run))}</td>`).join('')}</tr>`).join('\n');

  let lost = '';
  if (report.comparison) {
    const c = report.comparison;
    const currency = runs[0]!.currency;
    lost = `<p class="headline">Selling only from stock would have lost <strong>${formatCount(c.lostUnits)} units</strong>
(${formatShare(c.lostUnitShare)} of the units sold with backorders) and <strong>${escape(formatMoney(c.lostAmount, currency))}</strong>
(${formatShare(c.lostAmountShare)} of sales): ${formatCount(c.ordersLost)} orders lost whole and ${formatCount(c.ordersCut)} cut to what was in stock.</p>`;
  }
  return `<section>
<h2>Key figures</h2>
${lost}
<table><thead><tr><th></th>${head}</tr></thead><tbody>
${body}
</tbody></table>
</section>`;
}

function chartsSection(runs: RunFigures[]): string {
  const weeks = [...new Set(runs.flatMap((run) => run.weekly.map((w) => w.week)))].sort();
  const series = (pick: (week: WeekFigures) => number | null, only?: (run: RunFigures) => boolean): ChartSeries[] =>
    runs
      .filter((run) => !only || only(run))
      .map((run) => {
        const byWeek = new Map(run.weekly.map((w) => [w.week, w]));
        return { name: run.policy, color: COLORS[run.policy] ?? '#555', values: weeks.map((w) => (byWeek.has(w) ? pick(byWeek.get(w)!) : null)) };
      });

  const charts = [
    renderChart({ title: 'Orders placed per week', unit: 'orders', weeks, series: series((w) => w.orders), kind: 'bars' }),
    renderChart({
      title: 'Units backordered per week (when ordered)',
      unit: 'units',
      weeks,
      series: series((w) => w.backorderedUnits, (run) => run.policy !== 'stock_only'),
      kind: 'bars',
    }),
    renderChart({
      title: 'Mean wait from order to last unit shipped, by order week',
      unit: 'days',
      weeks,
      series: series((w) => w.meanWaitDays),
      kind: 'lines',
      format: (v) => v.toFixed(1),
    }),
    renderChart({ title: 'Delay notices per week', unit: 'notices', weeks, series: series((w) => w.delayNotices, (run) => run.policy !== 'stock_only'), kind: 'bars' }),
  ];
  if (runs.some((run) => run.units.lost > 0)) {
    charts.push(renderChart({ title: 'Units that could not be ordered, per week', unit: 'units', weeks, series: series((w) => w.lostUnits, (run) => run.units.lost > 0), kind: 'bars' }));
  }
  return `<section>
<h2>Week by week</h2>
${charts.map((chart) => `<figure>${chart}</figure>`).join('\n')}
</section>`;
}

function skuSection(runs: RunFigures[]): string {
  return runs
    .map((run) => {
      if (run.topSkus.length === 0) return '';
      const rows = run.topSkus
        .map(
          (sku) =>
            `<tr><td>${escape(sku.sku)}</td><td>${escape(sku.name)}</td><td class="num">${formatCount(sku.lines)}</td>` +
            `<td class="num">${formatCount(sku.backorderedLines)}</td><td class="num">${formatCount(sku.backorderedUnits)}</td>` +
            `<td class="num">${escape(formatDays(sku.meanBackorderWaitDays))}</td><td class="num">${formatCount(sku.lostUnits)}</td></tr>`,
        )
        .join('\n');
      return `<section>
<h2>SKUs with the most backordered units (${escape(run.policy)})</h2>
<table><thead><tr><th>SKU</th><th>Name</th><th>Lines</th><th>Lines backordered</th><th>Units backordered</th><th>Mean wait of backordered lines</th><th>Units lost</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
    })
    .join('\n');
}

function notesSection(report: ReplayReport): string {
  const runs = report.runs;
  const purchasing = runs
    .map(
      (r) =>
        `<li>${escape(r.policy)}: ${formatCount(r.purchasing.orders)} purchase orders for ${formatCount(r.purchasing.units)} units, ` +
        `${formatCount(r.purchasing.receivedUnits)} received; ${formatCount(r.purchasing.late)} late, ${formatCount(r.purchasing.short)} short. ` +
        `Cancellation rows: ${formatCount(r.cancellations.matched)} matched, ${formatCount(r.cancellations.partiallyMatched)} matched in part, ` +
        `${formatCount(r.cancellations.unmatched)} unmatched; ${formatCount(r.cancellations.units)} units cancelled and ` +
        `${escape(formatMoney(r.cancellations.refunded, r.currency))} refunded. Replay time ${r.timing.seconds.toFixed(1)} s.</li>`,
    )
    .join('');
  return `<section>
<h2>How the figures are measured</h2>
<ul>${purchasing}</ul>
<ul>
<li>Every order line goes through the same engine as the API. Orders of one transaction share its time; the wait uses the order's own date.</li>
<li>Fill rate: units allocated from stock when the order was placed, over units placed. Lines backordered: lines with any unit backordered when placed.</li>
<li>Wait: calendar days from the order date to the date its last unit shipped, over lines that shipped. Parcels leave at the close of each business day, once the SKU's handling days have passed since the units were allocated.</li>
<li>Shipped by the promised date: the last unit shipped on or before the line's first promised ship date.</li>
<li>Delay notices: lines whose estimated ship date moved past the promised date at least once; each such move is a notice under the US FTC Mail, Internet, or Telephone Order Merchandise Rule.</li>
<li>Cancellation rows cancel the same customer's most recent open line of the SKU; rows without a customer number or an open line are unmatched.</li>
<li>Under stock_only, an order that asks for more than is in stock is placed again with what is left; the units cut are the sales lost.</li>
<li>The supplier reviews each SKU that sold that day: when its stock position (available + inbound − backordered) is at or below the reorder point, it orders up to the lead time and a ${report.settings.reviewDays}-day review period of forecast demand plus safety stock.</li>
</ul>
</section>`;
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 62rem; padding: 0 1rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .25rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.headline { font-size: 1.05rem; background: #fff6e8; border-left: 4px solid #d9822b; padding: .6rem .8rem; }
figure { margin: 1rem 0; } .chart { width: 100%; height: auto; }
.chart .grid { stroke: #e3e3e3; stroke-width: 1; } .chart .axis { font-size: 11px; fill: #555; }
.chart .chart-title { font-size: 13px; font-weight: 600; fill: #1b1b1b; }
`;
