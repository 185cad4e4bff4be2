/** Small server-rendered SVG charts of weekly series: no script, no external font. */

export interface ChartSeries {
  name: string;
  /** One value per category; null leaves a gap. */
  values: (number | null)[];
  color: string;
}

export interface ChartOptions {
  title: string;
  /** The unit of the y axis, such as "units" or "days". */
  unit: string;
  /** Week start dates `YYYY-MM-DD`, one per value. */
  weeks: string[];
  series: ChartSeries[];
  kind: 'bars' | 'lines';
  format?: (value: number) => string;
}

const WIDTH = 760;
const HEIGHT = 250;
const MARGIN = { left: 64, right: 16, top: 34, bottom: 40 };
/** Up to this many weeks, every week gets a label; beyond, only the first week of each month. */
const FEW_WEEKS = 10;
/** Pixels between month labels at least, so that they do not overlap. */
const MIN_LABEL_GAP = 30;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function renderChart(options: ChartOptions): string {
  const format = options.format ?? ((value: number) => value.toLocaleString('en-GB'));
  const values = options.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const ticks = niceTicks(Math.max(0, ...values));
  const top = ticks[ticks.length - 1]!;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const band = plotWidth / Math.max(1, options.weeks.length);
  const y = (value: number) => MARGIN.top + plotHeight - (top === 0 ? 0 : (value / top) * plotHeight);

  const parts: string[] = [];
  parts.push(`<title>${escapeXml(options.title)}</title>`);
  parts.push(`<text x="${MARGIN.left}" y="18" class="chart-title">${escapeXml(options.title)}</text>`);

  for (const tick of ticks) {
    const at = y(tick).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${at}" y2="${at}" class="grid"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${at}" dy="4" text-anchor="end" class="axis">${escapeXml(format(tick))}</text>`);
  }
  parts.push(
    `<text transform="translate(14 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(options.unit)}</text>`,
  );
  parts.push(...(options.weeks.length <= FEW_WEEKS ? weekLabels(options.weeks, band) : monthLabels(options.weeks, band)));

  if (options.kind === 'bars') parts.push(...bars(options, band, y, format));
  else parts.push(...lines(options, band, y, format));
  parts.push(...legend(options.series));

  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" class="chart">` +
    parts.join('') +
    '</svg>'
  );
}

function bars(options: ChartOptions, band: number, y: (v: number) => number, format: (v: number) => string): string[] {
  const out: string[] = [];
  const count = options.series.length;
  const width = Math.max(1, (band * 0.8) / count);
  options.series.forEach((series, index) => {
    series.values.forEach((value, week) => {
      if (value === null || value <= 0) return;
      const x = MARGIN.left + week * band + band * 0.1 + index * width;
      const top = y(value);
      const label = `${series.name}, week of ${options.weeks[week]}: ${format(value)}`;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${width.toFixed(1)}" height="${(y(0) - top).toFixed(1)}" fill="${series.color}">` +
          `<title>${escapeXml(label)}</title></rect>`,
      );
    });
  });
  return out;
}

function lines(options: ChartOptions, band: number, y: (v: number) => number, format: (v: number) => string): string[] {
  const out: string[] = [];
  for (const series of options.series) {
    let path = '';
    let pen = false;
    series.values.forEach((value, week) => {
      if (value === null) {
        pen = false;
        return;
      }
      const x = MARGIN.left + week * band + band / 2;
      path += `${pen ? 'L' : 'M'}${x.toFixed(1)} ${y(value).toFixed(1)} `;
      pen = true;
      out.push(
        `<circle cx="${x.toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${series.color}">` +
          `<title>${escapeXml(`${series.name}, week of ${options.weeks[week]}: ${format(value)}`)}</title></circle>`,
      );
    });
    out.unshift(`<path d="${path.trim()}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
  }
  return out;
}

function legend(series: ChartSeries[]): string[] {
  let x = WIDTH - MARGIN.right;
  const out: string[] = [];
  for (const entry of [...series].reverse()) {
    const width = 18 + entry.name.length * 7;
    x -= width;
    out.push(`<rect x="${x}" y="9" width="10" height="10" fill="${entry.color}"/>`);
    out.push(`<text x="${x + 14}" y="18" class="axis">${escapeXml(entry.name)}</text>`);
    x -= 8;
  }
  return out;
}

/** Returns a label under every week: the day and month of its Monday. */
function weekLabels(weeks: string[], band: number): string[] {
  return weeks.map((week, index) => {
    const x = (MARGIN.left + index * band + band / 2).toFixed(1);
    const label = `${Number(week.slice(8, 10))} ${MONTHS[Number(week.slice(5, 7)) - 1]}`;
    return `<text x="${x}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" class="axis">${label}</text>`;
  });
}

/**
 * Returns a label under the first week of each month, a week counting for
 * the month of its Thursday (as ISO weeks do). A label too close to the
 * previous one is left out.
 */
function monthLabels(weeks: string[], band: number): string[] {
  const out: string[] = [];
  let previousMonth = '';
  let previousX = Number.NEGATIVE_INFINITY;
  weeks.forEach((week, index) => {
    const thursday = new Date(Date.parse(`${week}T00:00:00Z`) + 3 * 86_400_000).toISOString();
    const month = thursday.slice(0, 7);
    const x = MARGIN.left + index * band + band / 2;
    if (month === previousMonth || x - previousX < MIN_LABEL_GAP) return;

    const showYear = month.endsWith('-01') || previousMonth === '';
    previousMonth = month;
    previousX = x;
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${HEIGHT - MARGIN.bottom}" y2="${HEIGHT - MARGIN.bottom + 4}" class="grid"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" class="axis">${MONTHS[Number(month.slice(5, 7)) - 1]}</text>`);
    if (showYear) out.push(`<text x="${x.toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 29}" text-anchor="middle" class="axis">${month.slice(0, 4)}</text>`);
  });
  return out;
}

/** Returns 0 and four or five round steps (1, 2 or 5 times a power of ten) up to at least `max`. */
export function niceTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const rough = max / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
