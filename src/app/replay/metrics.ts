import type { Violation } from '../check.js';

/** One week of a replay, by the Monday that starts it (UTC). Orders and units count by placement week. */
export interface WeekFigures {
  week: string;
  orders: number;
  lines: number;
  units: number;
  backorderedLines: number;
  backorderedUnits: number;
  lostUnits: number;
  /** Minor units. */
  lostAmount: number;
  /** Lines placed this week whose last unit has shipped. */
  shippedLines: number;
  /** Mean days from placement to the last unit shipped, over `shippedLines`; null without any. */
  meanWaitDays: number | null;
  /** Delay notices written this week (by the date of the notice). */
  delayNotices: number;
}

export interface SkuFigures {
  sku: string;
  name: string;
  lines: number;
  units: number;
  backorderedLines: number;
  backorderedUnits: number;
  /** Mean wait of the SKU's backordered lines that have shipped; null without any. */
  meanBackorderWaitDays: number | null;
  lostUnits: number;
}

/** The figures of one replay run under one policy. Money is in minor units of `currency`. */
export interface RunFigures {
  policy: string;
  currency: string;
  orders: { placed: number; trimmed: number; lost: number };
  lines: { placed: number; backordered: number; backorderedShare: number | null };
  units: { demanded: number; placed: number; fromStock: number; backordered: number; lost: number; fillRate: number | null };
  amounts: { demanded: number; placed: number; lost: number };
  wait: { shippedLines: number; meanDays: number | null; p95Days: number | null; maxDays: number | null };
  promises: { withPromise: number; byPromise: number; byPromiseShare: number | null; delayNoticeLines: number; delayNotices: number };
  cancellations: {
    rows: number;
    matched: number;
    partiallyMatched: number;
    unmatched: number;
    units: number;
    refunded: number;
  };
  purchasing: { orders: number; units: number; receivedUnits: number; late: number; short: number };
  openAtEnd: { lines: number; backorderedUnits: number; allocatedUnits: number };
  weekly: WeekFigures[];
  topSkus: SkuFigures[];
  invariants: { violations: number; examples: Violation[] };
  /** The replay's time, without reading the file or the invariant check at the end (`checkSeconds`). */
  timing: { seconds: number; linesPerSecond: number; checkSeconds: number };
}

interface WeekTotals extends Omit<WeekFigures, 'meanWaitDays'> {
  waitDays: number;
}

interface SkuTotals extends Omit<SkuFigures, 'meanBackorderWaitDays'> {
  backorderWaitDays: number;
  backorderShippedLines: number;
}

/** A line whose last unit has shipped or been cancelled, as the metrics see it. */
export interface ClosedLine {
  sku: string;
  placedDay: string;
  backorderedAtPlacement: number;
  shipped: number;
  /** The day of its last shipment; null when nothing shipped. */
  lastShipDay: string | null;
  promisedShipDate: string | null;
}

const DAY_MS = 86_400_000;
const TOP_SKUS = 15;

/** Counters a replay run adds to as it goes, and the figures they give at the end. */
export class RunMetrics {
  readonly orders = { placed: 0, trimmed: 0, lost: 0 };
  readonly lines = { placed: 0, backordered: 0 };
  readonly units = { demanded: 0, placed: 0, fromStock: 0, backordered: 0, lost: 0 };
  readonly amounts = { demanded: 0, placed: 0, lost: 0 };
  readonly cancellations = { rows: 0, matched: 0, partiallyMatched: 0, unmatched: 0, units: 0, refunded: 0 };
  readonly purchasing = { orders: 0, units: 0, receivedUnits: 0, late: 0, short: 0 };
  readonly promises = { withPromise: 0, byPromise: 0, delayNoticeLines: 0, delayNotices: 0 };
  private readonly waits = new Map<number, number>();
  private readonly weeks = new Map<string, WeekTotals>();
  private readonly skus = new Map<string, SkuTotals>();

  constructor(
    readonly policy: string,
    readonly currency: string,
    private readonly names: ReadonlyMap<string, { name: string }>,
  ) {}

  noteDemand(units: number, amount: number): void {
    this.units.demanded += units;
    this.amounts.demanded += amount;
  }

  notePlacedOrder(day: string): void {
    this.orders.placed += 1;
    this.week(day).orders += 1;
  }

  notePlacedLine(day: string, sku: string, units: number, amount: number, backordered: number): void {
    this.lines.placed += 1;
    this.units.placed += units;
    this.units.fromStock += units - backordered;
    this.units.backordered += backordered;
    this.amounts.placed += amount;

    const week = this.week(day);
    week.lines += 1;
    week.units += units;
    const totals = this.sku(sku);
    totals.lines += 1;
    totals.units += units;
    if (backordered > 0) {
      this.lines.backordered += 1;
      week.backorderedLines += 1;
      week.backorderedUnits += backordered;
      totals.backorderedLines += 1;
      totals.backorderedUnits += backordered;
    }
  }

  noteLost(day: string, sku: string, units: number, amount: number): void {
    this.units.lost += units;
    this.amounts.lost += amount;
    const week = this.week(day);
    week.lostUnits += units;
    week.lostAmount += amount;
    this.sku(sku).lostUnits += units;
  }

  /** Counts a line that is done: its wait when something shipped, and whether it shipped by its promise. */
  noteClosed(line: ClosedLine): void {
    if (line.shipped === 0 || line.lastShipDay === null) return;

    const wait = daysBetween(line.placedDay, line.lastShipDay);
    this.waits.set(wait, (this.waits.get(wait) ?? 0) + 1);
    const week = this.week(line.placedDay);
    week.shippedLines += 1;
    week.waitDays += wait;
    if (line.backorderedAtPlacement > 0) {
      const totals = this.sku(line.sku);
      totals.backorderShippedLines += 1;
      totals.backorderWaitDays += wait;
    }

    if (line.promisedShipDate !== null) {
      this.promises.withPromise += 1;
      if (line.lastShipDay <= line.promisedShipDate) this.promises.byPromise += 1;
    }
  }

  noteDelayNotice(day: string): void {
    this.promises.delayNotices += 1;
    this.week(day).delayNotices += 1;
  }

  figures(extra: {
    openAtEnd: RunFigures['openAtEnd'];
    invariants: RunFigures['invariants'];
    timing: RunFigures['timing'];
  }): RunFigures {
    return {
      policy: this.policy,
      currency: this.currency,
      orders: { ...this.orders },
      lines: { ...this.lines, backorderedShare: share(this.lines.backordered, this.lines.placed) },
      units: { ...this.units, fillRate: share(this.units.fromStock, this.units.placed) },
      amounts: { ...this.amounts },
      wait: this.waitFigures(),
      promises: { ...this.promises, byPromiseShare: share(this.promises.byPromise, this.promises.withPromise) },
      cancellations: { ...this.cancellations },
      purchasing: { ...this.purchasing },
      openAtEnd: extra.openAtEnd,
      weekly: this.weeklyFigures(),
      topSkus: this.topSkus(),
      invariants: extra.invariants,
      timing: extra.timing,
    };
  }

  private waitFigures(): RunFigures['wait'] {
    const days = [...this.waits.keys()].sort((a, b) => a - b);
    let count = 0;
    let sum = 0;
    for (const day of days) {
      count += this.waits.get(day)!;
      sum += day * this.waits.get(day)!;
    }
    if (count === 0) return { shippedLines: 0, meanDays: null, p95Days: null, maxDays: null };

    // Nearest rank: the smallest wait that at least 95% of lines do not exceed.
    const rank = Math.ceil(0.95 * count);
    let seen = 0;
    let p95 = days[days.length - 1]!;
    for (const day of days) {
      seen += this.waits.get(day)!;
      if (seen >= rank) {
        p95 = day;
        break;
      }
    }
    return { shippedLines: count, meanDays: sum / count, p95Days: p95, maxDays: days[days.length - 1]! };
  }

  private weeklyFigures(): WeekFigures[] {
    return [...this.weeks.values()]
      .sort((a, b) => (a.week < b.week ? -1 : 1))
      .map(({ waitDays, ...week }) => ({ ...week, meanWaitDays: week.shippedLines === 0 ? null : waitDays / week.shippedLines }));
  }

  private topSkus(): SkuFigures[] {
    return [...this.skus.values()]
      .filter((sku) => sku.backorderedUnits > 0 || sku.lostUnits > 0)
      .sort((a, b) => b.backorderedUnits - a.backorderedUnits || b.lostUnits - a.lostUnits || (a.sku < b.sku ? -1 : 1))
      .slice(0, TOP_SKUS)
      .map(({ backorderWaitDays, backorderShippedLines, ...sku }) => ({
        ...sku,
        meanBackorderWaitDays: backorderShippedLines === 0 ? null : backorderWaitDays / backorderShippedLines,
      }));
  }

  private week(day: string): WeekTotals {
    const key = weekOf(day);
    let week = this.weeks.get(key);
    if (!week) {
      week = {
        week: key,
        orders: 0,
        lines: 0,
        units: 0,
        backorderedLines: 0,
        backorderedUnits: 0,
        lostUnits: 0,
        lostAmount: 0,
        shippedLines: 0,
        waitDays: 0,
        delayNotices: 0,
      };
      this.weeks.set(key, week);
    }
    return week;
  }

  private sku(code: string): SkuTotals {
    let totals = this.skus.get(code);
    if (!totals) {
      totals = {
        sku: code,
        name: this.names.get(code)?.name ?? '',
        lines: 0,
        units: 0,
        backorderedLines: 0,
        backorderedUnits: 0,
        lostUnits: 0,
        backorderWaitDays: 0,
        backorderShippedLines: 0,
      };
      this.skus.set(code, totals);
    }
    return totals;
  }
}

/** Returns the Monday (UTC) of the ISO week that contains `day`. */
export function weekOf(day: string): string {
  let monday = mondays.get(day);
  if (monday === undefined) {
    const at = Date.parse(`${day}T00:00:00Z`);
    const weekday = (new Date(at).getUTCDay() + 6) % 7;
    monday = new Date(at - weekday * DAY_MS).toISOString().slice(0, 10);
    mondays.set(day, monday);
  }
  return monday;
}

/** The Monday of each day looked up. A replay looks up a few hundred days, once per order line. */
const mondays = new Map<string, string>();

/** Whole calendar days from one date to a later one. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}
