import { padInList } from '../../store/bulk.js';
import { decideReorder, drawDelivery, seededRandom, type Delivery, type DeliveryRates } from '../../domain/supplier.js';
import type { Work } from '../../store/store.js';
import { closePurchaseOrder, createPurchaseOrders, receiveAll, redatePurchaseOrder } from '../purchase-orders.js';
import type { RunMetrics } from './metrics.js';

export interface SupplierSettings {
  leadTimeDays: number;
  serviceLevel: number;
  reviewDays: number;
  rates: DeliveryRates;
  seed: number;
  /** Days of demand history a review looks back on. */
  historyDays: number;
}

interface PlannedDelivery {
  purchaseOrderId: string;
  sku: string;
  delivery: Delivery;
  redated: boolean;
}

const DAY_MS = 86_400_000;
const READ_CHUNK = 500;

/**
 * The supplier side of a replay. It records each SKU's daily demand and
 * reviews the SKUs that sold (or lost inbound supply) each day with
 * `decideReorder`. It issues a purchase order per SKU through the engine
 * and delivers it on the day that `drawDelivery` chose. A late order is
 * re-dated on its expected date, as a supplier's notice would re-date it,
 * and received on the new date. A short one is received in part and closed.
 */
export class SupplierDesk {
  private readonly demand = new Map<string, { firstDay: number; daily: number[] }>();
  private readonly toReview = new Set<string>();
  private readonly calendar = new Map<string, PlannedDelivery[]>();
  private readonly random: () => number;

  constructor(
    private readonly settings: SupplierSettings,
    private readonly metrics: RunMetrics,
  ) {
    this.random = seededRandom(settings.seed);
  }

  /** Records units ordered of a SKU on a day, accepted or not: demand the shop saw. */
  noteDemand(sku: string, day: string, units: number): void {
    const index = dayIndex(day);
    let series = this.demand.get(sku);
    if (!series) {
      series = { firstDay: index, daily: [] };
      this.demand.set(sku, series);
    }
    const offset = index - series.firstDay;
    while (series.daily.length <= offset) series.daily.push(0);
    series.daily[offset]! += units;
    this.toReview.add(sku);
  }

  hasDeliveries(day: string): boolean {
    return this.calendar.has(day);
  }

  /** Purchase orders still to arrive. */
  get pendingDeliveries(): number {
    let count = 0;
    for (const plans of this.calendar.values()) count += plans.length;
    return count;
  }

  /**
   * Handles the deliveries due on `day`: late ones are re-dated, the others
   * received together, and short ones then closed.
   */
  async deliver(work: Work, day: string): Promise<void> {
    const plans = this.calendar.get(day) ?? [];
    this.calendar.delete(day);

    const arrived: PlannedDelivery[] = [];
    for (const plan of plans) {
      const { delivery } = plan;
      if (delivery.lateDays > 0 && !plan.redated) {
        await redatePurchaseOrder(work, plan.purchaseOrderId, delivery.arrivalDate);
        plan.redated = true;
        this.metrics.purchasing.late += 1;
        this.schedule(delivery.arrivalDate, plan);
        continue;
      }
      arrived.push(plan);
    }

    // Receipts and closes of different purchase orders do not affect each
    // other, so receiving every delivery first gives what one by one would.
    const receipts = arrived
      .filter((plan) => plan.delivery.quantity > 0)
      .map((plan) => ({ purchaseOrderId: plan.purchaseOrderId, lines: [{ sku: plan.sku, quantity: plan.delivery.quantity }] }));
    await receiveAll(work, receipts);

    for (const plan of arrived) {
      this.metrics.purchasing.receivedUnits += plan.delivery.quantity;
      if (plan.delivery.short) {
        await closePurchaseOrder(work, plan.purchaseOrderId);
        this.metrics.purchasing.short += 1;
        this.toReview.add(plan.sku);
      }
    }
  }

  /**
   * Reviews every SKU with demand or a short delivery since the last
   * review, against its stock position in the database, and issues the
   * purchase orders needed with one call. Returns how many it issued.
   */
  async review(work: Work, day: string): Promise<number> {
    const codes = [...this.toReview].sort();
    this.toReview.clear();

    const decisions: { sku: string; quantity: number; expectedDate: string }[] = [];
    for (let start = 0; start < codes.length; start += READ_CHUNK) {
      const chunk = codes.slice(start, start + READ_CHUNK);
      const positions = await readPositions(work, chunk);

      for (const sku of chunk) {
        const position = positions.get(sku);
        if (!position) continue;
        const decision = decideReorder({
          sku,
          daily: this.series(sku, day),
          ...position,
          leadTimeDays: this.settings.leadTimeDays,
          serviceLevel: this.settings.serviceLevel,
          reviewDays: this.settings.reviewDays,
          today: day,
        });
        if (decision) decisions.push({ sku, quantity: decision.quantity, expectedDate: decision.expectedDate });
      }
    }

    // Each review reads only its own SKU's position, so issuing the orders
    // after every decision gives the orders that issuing each at once would.
    const ids = await createPurchaseOrders(
      work,
      decisions.map(({ sku, quantity, expectedDate }) => ({ reference: `replay-${day}-${sku}`, expectedDate, lines: [{ sku, quantity }] })),
    );
    decisions.forEach(({ sku, quantity, expectedDate }, index) => {
      const delivery = drawDelivery(this.random, { quantity, expectedDate, leadTimeDays: this.settings.leadTimeDays }, this.settings.rates);
      this.schedule(expectedDate, { purchaseOrderId: ids[index]!, sku, delivery, redated: false });
      this.metrics.purchasing.orders += 1;
      this.metrics.purchasing.units += quantity;
    });
    return decisions.length;
  }

  /** Returns the SKU's daily demand from its first sale to `day`, at most the last `historyDays` days. */
  private series(sku: string, day: string): number[] {
    const series = this.demand.get(sku);
    if (!series) return [];
    const length = dayIndex(day) - series.firstDay + 1;
    const daily = series.daily.slice(0, length);
    while (daily.length < length) daily.push(0);
    return daily.slice(-this.settings.historyDays);
  }

  private schedule(day: string, plan: PlannedDelivery): void {
    const plans = this.calendar.get(day);
    if (plans) plans.push(plan);
    else this.calendar.set(day, [plan]);
  }
}

/** Reads available, inbound and backordered units of each SKU, summed over locations. */
async function readPositions(
  work: Work,
  codes: string[],
): Promise<Map<string, { available: number; inbound: number; backordered: number }>> {
  const skus = await work.db.selectFrom('skus').select(['code', 'backordered']).where('code', 'in', padInList(codes)).execute();
  const levels = await work.db.selectFrom('stock_levels').select(['sku', 'on_hand', 'allocated']).where('sku', 'in', padInList(codes)).execute();
  const inbound = await work.db
    .selectFrom('purchase_order_lines')
    .select(['sku', 'quantity', 'received'])
    .where('sku', 'in', padInList(codes))
    .where('open', '=', 1)
    .execute();

  const positions = new Map(skus.map((row) => [row.code, { available: 0, inbound: 0, backordered: row.backordered }]));
  for (const level of levels) positions.get(level.sku)!.available += Math.max(0, level.on_hand - level.allocated);
  for (const line of inbound) positions.get(line.sku)!.inbound += Math.max(0, line.quantity - line.received);
  return positions;
}

function dayIndex(day: string): number {
  return Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}
