/**
 * The replay's own record of the order lines it placed that are still open
 * (units neither shipped nor cancelled): what it needs to match
 * cancellations to lines and to ship allocated units when they are due.
 * The database stays the truth: allocations are read back from it.
 */

export interface OpenLine {
  id: string;
  orderId: string;
  sku: string;
  customer: string | null;
  quantity: number;
  placedDay: string;
  backorderedAtPlacement: number;
  shipped: number;
  cancelled: number;
  lastShipDay: string | null;
  /** Allocated units not yet shipped, by the day they are due to ship, oldest first. */
  due: { day: string; units: number }[];
}

export interface DueShipment {
  orderId: string;
  lines: { line: OpenLine; quantity: number }[];
}

export class LineBook {
  private readonly open = new Map<string, OpenLine>();
  private readonly byCustomerSku = new Map<string, OpenLine[]>();
  private readonly allocated = new Set<OpenLine>();

  get size(): number {
    return this.open.size;
  }

  lines(): IterableIterator<OpenLine> {
    return this.open.values();
  }

  add(line: OpenLine): void {
    this.open.set(line.id, line);
    if (line.customer === null) return;

    const key = customerSkuKey(line.customer, line.sku);
    const list = this.byCustomerSku.get(key);
    if (list) list.push(line);
    else this.byCustomerSku.set(key, [line]);
  }

  /** Returns the customer's most recently placed open line of the SKU, or null. */
  latestOpenLine(customer: string, sku: string): OpenLine | null {
    const list = this.byCustomerSku.get(customerSkuKey(customer, sku));
    return list?.[list.length - 1] ?? null;
  }

  /** Records cancelled units; returns true when the line is now closed. */
  noteCancelled(line: OpenLine, units: number): boolean {
    line.cancelled += units;
    return this.closeIfDone(line);
  }

  /**
   * Brings the due units of every open line in step with its allocated
   * units as the database has them. Units newly allocated are due on
   * `dueDay`; units no longer allocated (cancelled, taken back) leave the
   * newest entries first. Throws on an allocation of a line the book does
   * not hold, which would mean the database was changed behind the replay.
   */
  syncAllocations(rows: readonly { line_id: string; quantity: number }[], dueDay: string): void {
    const allocated = new Map<string, number>();
    for (const row of rows) allocated.set(row.line_id, (allocated.get(row.line_id) ?? 0) + row.quantity);

    for (const line of [...this.allocated]) {
      if (!allocated.has(line.id)) this.setAllocated(line, 0, dueDay);
    }
    for (const [id, units] of allocated) {
      const line = this.open.get(id);
      if (!line) throw new Error(`Line ${id} has ${units} units allocated but the replay did not place it or has closed it.`);
      this.setAllocated(line, units, dueDay);
    }
  }

  /** Returns the allocated units due on or before `day`, grouped by order. */
  dueShipments(day: string): DueShipment[] {
    const byOrder = new Map<string, DueShipment>();
    for (const line of this.allocated) {
      const quantity = line.due.filter((entry) => entry.day <= day).reduce((sum, entry) => sum + entry.units, 0);
      if (quantity === 0) continue;

      let shipment = byOrder.get(line.orderId);
      if (!shipment) {
        shipment = { orderId: line.orderId, lines: [] };
        byOrder.set(line.orderId, shipment);
      }
      shipment.lines.push({ line, quantity });
    }
    return [...byOrder.values()];
  }

  /** Records units shipped on `day` (the due ones first); returns true when the line is now closed. */
  noteShipped(line: OpenLine, units: number, day: string): boolean {
    line.shipped += units;
    line.lastShipDay = day;
    takeUnits(line.due, units, 'oldest');
    if (line.due.length === 0) this.allocated.delete(line);
    return this.closeIfDone(line);
  }

  private setAllocated(line: OpenLine, units: number, dueDay: string): void {
    const known = line.due.reduce((sum, entry) => sum + entry.units, 0);
    if (units > known) line.due.push({ day: dueDay, units: units - known });
    if (units < known) takeUnits(line.due, known - units, 'newest');

    if (line.due.length > 0) this.allocated.add(line);
    else this.allocated.delete(line);
  }

  private closeIfDone(line: OpenLine): boolean {
    if (line.shipped + line.cancelled < line.quantity) return false;

    this.open.delete(line.id);
    this.allocated.delete(line);
    if (line.customer !== null) {
      const key = customerSkuKey(line.customer, line.sku);
      const list = this.byCustomerSku.get(key)!;
      list.splice(list.indexOf(line), 1);
      if (list.length === 0) this.byCustomerSku.delete(key);
    }
    return true;
  }
}

function customerSkuKey(customer: string, sku: string): string {
  return `${customer}\u0000${sku}`;
}

function takeUnits(due: { day: string; units: number }[], units: number, from: 'oldest' | 'newest'): void {
  let left = units;
  while (left > 0 && due.length > 0) {
    const entry = from === 'oldest' ? due[0]! : due[due.length - 1]!;
    const take = Math.min(left, entry.units);
    entry.units -= take;
    left -= take;
    if (entry.units === 0) {
      if (from === 'oldest') due.shift();
      else due.pop();
    }
  }
}
