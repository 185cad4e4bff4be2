import { padInList } from '../../store/bulk.js';
import type { StockPolicy } from '../../domain/types.js';
import type { Work } from '../../store/store.js';
import { cancelOrder } from '../cancel-order.js';
import { placeOrders, type PlaceOrderInput } from '../place-order.js';
import type { HistoryCancellation, HistoryLine, HistoryOrder } from './history.js';
import { dayOf } from './history.js';
import type { LineBook, OpenLine } from './line-book.js';
import type { RunMetrics } from './metrics.js';
import type { SupplierDesk } from './supplier-desk.js';

const READ_CHUNK = 500;

/**
 * Places a replay's orders and cancellations through the engine, inside
 * the caller's transaction, and keeps the line book and the metrics.
 */
export class OrderDesk {
  constructor(
    private readonly book: LineBook,
    private readonly metrics: RunMetrics,
    private readonly supplier: SupplierDesk,
    private readonly policyOf: (sku: string) => StockPolicy,
    private readonly currency: string,
    /** Lines closed by a cancellation after something shipped: their promise is read at the day's close. */
    private readonly closed: OpenLine[],
  ) {}

  /**
   * Places orders in the given order. Runs of orders whose SKUs all take
   * backorders go to `placeOrders` as one list, since none can be rejected.
   * An order that can be rejected is placed alone, and when it is rejected,
   * it is placed again with what could be ordered: the customer takes the
   * units left and does without the rest, which count as lost sales.
   */
  async place(work: Work, orders: readonly HistoryOrder[]): Promise<void> {
    const placed: { orderId: string; order: HistoryOrder; lines: HistoryLine[] }[] = [];
    let run: HistoryOrder[] = [];

    const placeRun = async () => {
      if (run.length === 0) return;
      const outcomes = await placeOrders(work, run.map((order) => this.input(order, order.lines)));
      outcomes.forEach((outcome, index) => {
        if (!outcome.accepted) throw new Error(`Order ${run[index]!.invoice} was rejected though every SKU takes backorders.`);
        placed.push({ orderId: outcome.orderId, order: run[index]!, lines: run[index]!.lines });
      });
      run = [];
    };

    for (const order of orders) {
      this.noteDemand(order);
      if (order.lines.every((line) => this.policyOf(line.sku) === 'backorder')) {
        run.push(order);
        continue;
      }
      await placeRun();
      const result = await this.placeOrTrim(work, order);
      if (result) placed.push(result);
    }
    await placeRun();

    await this.record(work, placed);
  }

  /**
   * Cancels units of the customer's most recent open line of the SKU: the
   * row's quantity, at most the line's open units. A row without
   * a customer, or without such a line, is unmatched.
   */
  async cancel(work: Work, event: HistoryCancellation): Promise<void> {
    const counts = this.metrics.cancellations;
    counts.rows += 1;

    const line = event.customer === null ? null : this.book.latestOpenLine(event.customer, event.sku);
    if (!line) {
      counts.unmatched += 1;
      return;
    }

    const units = Math.min(event.quantity, line.quantity - line.shipped - line.cancelled);
    const { refund } = await cancelOrder(work, line.orderId, {
      lines: [{ lineId: line.id, quantity: units }],
      reason: `cancellation invoice ${event.invoice}`,
    });
    counts.units += units;
    counts.refunded += refund.amount;
    if (units < event.quantity) counts.partiallyMatched += 1;
    else counts.matched += 1;

    if (this.book.noteCancelled(line, units) && line.shipped > 0) this.closed.push(line);
  }

  private noteDemand(order: HistoryOrder): void {
    const day = dayOf(order.at);
    for (const line of order.lines) {
      this.metrics.noteDemand(line.quantity, line.quantity * line.unitPrice);
      this.supplier.noteDemand(line.sku, day, line.quantity);
    }
  }

  private async placeOrTrim(work: Work, order: HistoryOrder): Promise<{ orderId: string; order: HistoryOrder; lines: HistoryLine[] } | null> {
    const [first] = await placeOrders(work, [this.input(order, order.lines)]);
    if (first!.accepted) return { orderId: first!.orderId, order, lines: order.lines };

    const room = new Map(first!.rejections.map((r) => [r.sku, r.maxOrderable ?? Number.POSITIVE_INFINITY]));
    const kept: HistoryLine[] = [];
    const day = dayOf(order.at);
    for (const line of order.lines) {
      const left = room.get(line.sku);
      const take = left === undefined ? line.quantity : Math.min(line.quantity, left);
      if (left !== undefined) room.set(line.sku, left - take);
      if (take < line.quantity) this.metrics.noteLost(day, line.sku, line.quantity - take, (line.quantity - take) * line.unitPrice);
      if (take > 0) kept.push({ ...line, quantity: take });
    }

    if (kept.length === 0) {
      this.metrics.orders.lost += 1;
      return null;
    }
    const [second] = await placeOrders(work, [this.input(order, kept)]);
    if (!second!.accepted) throw new Error(`Order ${order.invoice} was rejected again after it was cut to what could be ordered.`);
    this.metrics.orders.trimmed += 1;
    return { orderId: second!.orderId, order, lines: kept };
  }

  private input(order: HistoryOrder, lines: readonly HistoryLine[]): PlaceOrderInput {
    return {
      externalId: order.invoice,
      customer: order.customer === null ? null : { name: `Customer ${order.customer}` },
      currency: this.currency,
      lines: lines.map((line) => ({ sku: line.sku, quantity: line.quantity, unitPrice: line.unitPrice })),
    };
  }

  /** Reads back the placed lines (ids and what was backordered) into the book and the metrics. */
  private async record(work: Work, placed: { orderId: string; order: HistoryOrder; lines: HistoryLine[] }[]): Promise<void> {
    const byOrder = new Map(placed.map((entry) => [entry.orderId, entry]));
    for (let start = 0; start < placed.length; start += READ_CHUNK) {
      const ids = placed.slice(start, start + READ_CHUNK).map((entry) => entry.orderId);
      const rows = await work.db
        .selectFrom('order_lines')
        .select(['id', 'order_id', 'position', 'backordered'])
        .where('order_id', 'in', padInList(ids))
        .execute();

      const lines = new Map(rows.map((row) => [`${row.order_id}:${row.position}`, row]));
      for (const orderId of ids) {
        const { order, lines: historyLines } = byOrder.get(orderId)!;
        const day = dayOf(order.at);
        this.metrics.notePlacedOrder(day);
        historyLines.forEach((line, position) => this.recordLine(order, day, line, lines.get(`${orderId}:${position}`)!));
      }
    }
  }

  private recordLine(
    order: HistoryOrder,
    day: string,
    line: HistoryLine,
    row: { id: string; order_id: string; backordered: number },
  ): void {
    this.metrics.notePlacedLine(day, line.sku, line.quantity, line.quantity * line.unitPrice, row.backordered);
    this.book.add({
      id: row.id,
      orderId: row.order_id,
      sku: line.sku,
      customer: order.customer,
      quantity: line.quantity,
      placedDay: day,
      backorderedAtPlacement: row.backordered,
      shipped: 0,
      cancelled: 0,
      lastShipDay: null,
      due: [],
    });
  }
}
