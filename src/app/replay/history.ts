/**
 * An order history as the replay consumes it: orders (one per invoice) and
 * cancellation rows in time order, with counts of what was read and skipped.
 */

export interface HistoryLine {
  sku: string;
  quantity: number;
  /** Minor units of the currency. */
  unitPrice: number;
}

export interface HistoryOrder {
  kind: 'order';
  invoice: string;
  /** Epoch milliseconds of the invoice, read as UTC. */
  at: number;
  customer: string | null;
  lines: HistoryLine[];
}

export interface HistoryCancellation {
  kind: 'cancellation';
  invoice: string;
  at: number;
  customer: string | null;
  sku: string;
  /** Units to cancel, positive. */
  quantity: number;
}

export type HistoryEvent = HistoryOrder | HistoryCancellation;

export const SKIP_REASONS = [
  'non_product_code',
  'invalid_sku_code',
  'non_positive_quantity',
  'non_positive_price',
  'quantity_too_large',
  'outside_dates',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface SkuFacts {
  /** The first product description seen. */
  name: string;
  /** The day of the SKU's first order line, `YYYY-MM-DD`. */
  firstDay: string;
  /** Units ordered in the 30 days from the first day on. */
  firstMonthUnits: number;
}

export interface History {
  /** Orders and cancellations sorted by time; ties keep file order. */
  events: HistoryEvent[];
  skus: Map<string, SkuFacts>;
  counts: {
    /** Data rows read, the header not counted. */
    rows: number;
    orderLines: number;
    cancellationRows: number;
    orders: number;
    skipped: Record<SkipReason, number>;
  };
}

/** A row of the history file after column mapping, before classification. */
export interface HistoryRow {
  invoice: string;
  sku: string;
  name: string;
  quantity: number;
  at: number;
  unitPrice: number;
  customer: string | null;
}

/** The rules that sort a row into order line, cancellation or skipped. */
export interface RowRules {
  /** Invoice numbers starting with this prefix are cancellations. */
  cancellationPrefix: string;
  /** Stock codes that are not products (postage, fees, manual adjustments). */
  skipCodes: ReadonlySet<string>;
  /** Inclusive date range `YYYY-MM-DD`; rows outside are skipped. */
  from?: string;
  to?: string;
}

/** The stock codes of the UCI Online Retail data set that are charges, fees or adjustments, not products. */
export const DEFAULT_SKIP_CODES = ['POST', 'DOT', 'M', 'm', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK'];

/** The API's limits: SKU codes and quantities a line may carry. */
const SKU_CODE = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_QUANTITY = 1_000_000;
const DAY_MS = 86_400_000;

export type RowClass = { kind: 'order' } | { kind: 'cancellation' } | { kind: 'skipped'; reason: SkipReason };

/**
 * Sorts one row into order line, cancellation or skipped. A row is a
 * cancellation when its invoice has the cancellation prefix. It is skipped
 * when it lies outside the dates, is not a product, has an invalid code, a
 * quantity of 0 or less (outside cancellations) or a unit price of 0 or less.
 */
export function classifyRow(row: HistoryRow, rules: RowRules): RowClass {
  const day = dayOf(row.at);
  if ((rules.from !== undefined && day < rules.from) || (rules.to !== undefined && day > rules.to)) {
    return { kind: 'skipped', reason: 'outside_dates' };
  }
  if (rules.skipCodes.has(row.sku)) return { kind: 'skipped', reason: 'non_product_code' };
  if (!SKU_CODE.test(row.sku)) return { kind: 'skipped', reason: 'invalid_sku_code' };

  const cancellation = rules.cancellationPrefix !== '' && row.invoice.startsWith(rules.cancellationPrefix);
  const units = cancellation ? Math.abs(row.quantity) : row.quantity;
  if (units <= 0) return { kind: 'skipped', reason: 'non_positive_quantity' };
  if (units > MAX_QUANTITY) return { kind: 'skipped', reason: 'quantity_too_large' };
  if (row.unitPrice <= 0) return { kind: 'skipped', reason: 'non_positive_price' };
  return cancellation ? { kind: 'cancellation' } : { kind: 'order' };
}

/**
 * Collects rows into a history. Rows of one invoice form one order, at the
 * time of its first row, wherever they stand in the file.
 */
export class HistoryBuilder {
  private readonly orders = new Map<string, HistoryOrder>();
  private readonly cancellations: HistoryCancellation[] = [];
  private readonly sequence: HistoryEvent[] = [];
  private readonly names = new Map<string, string>();
  private readonly counts: History['counts'] = {
    rows: 0,
    orderLines: 0,
    cancellationRows: 0,
    orders: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number>,
  };

  constructor(private readonly rules: RowRules) {}

  add(row: HistoryRow): void {
    this.counts.rows += 1;
    const kind = classifyRow(row, this.rules);

    if (kind.kind === 'skipped') {
      this.counts.skipped[kind.reason] += 1;
      return;
    }
    if (!this.names.has(row.sku) || this.names.get(row.sku) === '') this.names.set(row.sku, row.name);

    if (kind.kind === 'cancellation') {
      this.counts.cancellationRows += 1;
      const event: HistoryCancellation = {
        kind: 'cancellation',
        invoice: row.invoice,
        at: row.at,
        customer: row.customer,
        sku: row.sku,
        quantity: Math.abs(row.quantity),
      };
      this.cancellations.push(event);
      this.sequence.push(event);
      return;
    }

    this.counts.orderLines += 1;
    let order = this.orders.get(row.invoice);
    if (!order) {
      order = { kind: 'order', invoice: row.invoice, at: row.at, customer: row.customer, lines: [] };
      this.orders.set(row.invoice, order);
      this.sequence.push(order);
    }
    order.lines.push({ sku: row.sku, quantity: row.quantity, unitPrice: row.unitPrice });
  }

  finish(): History {
    const events = this.sequence.map((event, index) => ({ event, index }));
    events.sort((a, b) => a.event.at - b.event.at || a.index - b.index);
    this.counts.orders = this.orders.size;
    return { events: events.map((e) => e.event), skus: this.skuFacts(), counts: this.counts };
  }

  private skuFacts(): Map<string, SkuFacts> {
    const first = new Map<string, number>();
    for (const order of this.orders.values()) {
      for (const line of order.lines) {
        const seen = first.get(line.sku);
        if (seen === undefined || order.at < seen) first.set(line.sku, order.at);
      }
    }

    const facts = new Map<string, SkuFacts>();
    for (const [sku, at] of first) {
      facts.set(sku, { name: this.names.get(sku) ?? '', firstDay: dayOf(at), firstMonthUnits: 0 });
    }
    for (const order of this.orders.values()) {
      for (const line of order.lines) {
        const fact = facts.get(line.sku)!;
        if (order.at < Date.parse(`${fact.firstDay}T00:00:00Z`) + 30 * DAY_MS) fact.firstMonthUnits += line.quantity;
      }
    }
    return new Map([...facts].sort(([a], [b]) => compareCodes(a, b)));
  }
}

function compareCodes(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Returns the UTC calendar date of an epoch-milliseconds instant. */
export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Moves every event of a history by `milliseconds`, and the SKUs' first days with them. */
export function shiftHistory(history: History, milliseconds: number): History {
  const events = history.events.map((event) => ({ ...event, at: event.at + milliseconds }));
  const skus = new Map(
    [...history.skus].map(([sku, fact]) => [sku, { ...fact, firstDay: dayOf(Date.parse(`${fact.firstDay}T00:00:00Z`) + milliseconds) }]),
  );
  return { ...history, events, skus };
}
