import { dateAt } from '../domain/calendar.js';
import {
  curvesAgree, dateOfUnits, stockShipDate, sweepPromises, supplyCurve, type CurveStep, type PromiseLocation, type PromiseSku, type ShipDate,
  type SweepInput,
} from '../domain/promise.js';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, LocationTable, SkuTable } from '../store/schema.js';

type Reader = Kysely<Database>;
import { padInList, updateByKey, type BulkUpdate, type BulkValue } from '../store/bulk.js';
import type { Work } from '../store/store.js';

/** The changes a transaction made to one SKU's queue, used to choose how much to re-promise. */
interface QueueChange {
  /** Units served from the front of the queue, in queue order. */
  servedFront: number;
  /** Lines added at the end of the queue, in queue order. */
  appended: string[];
  /** Lines that left the queue fully allocated: their date is the stock date. */
  allocated: Set<string>;
  /** Anything else (supply, rules, cancellations, a line placed mid-queue): sweep the whole queue. */
  sweepAll: boolean;
}

const changes = new WeakMap<Work, Map<string, QueueChange>>();

function changeOf(work: Work, sku: string): QueueChange {
  let perSku = changes.get(work);
  if (!perSku) {
    perSku = new Map();
    changes.set(work, perSku);
    work.beforeCommit('promises', () => refreshPromises(work));
  }
  let change = perSku.get(sku);
  if (!change) {
    change = { servedFront: 0, appended: [], allocated: new Set(), sweepAll: false };
    perSku.set(sku, change);
  }
  return change;
}

/** Records lines added at the end of a SKU's queue. */
export function noteAppended(work: Work, sku: string, lineId: string): void {
  changeOf(work, sku).appended.push(lineId);
}

/** Records units served from the front of the queue; `fully` lists lines that left it. */
export function noteServedFront(work: Work, sku: string, units: number, fully: string[]): void {
  const change = changeOf(work, sku);
  change.servedFront += units;
  for (const id of fully) change.allocated.add(id);
}

/** Records a line that is now fully allocated outside the queue (at placement). */
export function noteAllocated(work: Work, sku: string, lineId: string): void {
  changeOf(work, sku).allocated.add(lineId);
}

/**
 * Records that a SKU's supply, stock or rules may have changed. Before
 * commit its supply curve is compared with the stored one, and the queue is
 * swept when they differ.
 */
export function noteChanged(work: Work, sku: string): void {
  changeOf(work, sku);
}

/** Records a change inside the queue (a line left or returned mid-queue): the whole queue is swept. */
export function noteQueueReordered(work: Work, sku: string): void {
  changeOf(work, sku).sweepAll = true;
}

interface StoredCurve {
  steps: CurveStep[];
  fallback: Pick<ShipDate, 'date' | 'basis'>;
  /** Units the queue waited for when the curve was stored. */
  queueUnits: number;
}

/**
 * Recomputes the estimated ship date of every line whose date may have
 * moved, writes the first promise of new lines, and writes a
 * `promise.changed` event per moved estimate. Runs once per transaction,
 * just before commit.
 */
async function refreshPromises(work: Work): Promise<void> {
  const perSku = changes.get(work);
  if (!perSku) return;
  changes.delete(work);

  const locations = await loadPromiseLocations(work.db);
  const estimates = new EstimateWriter(work);
  const curves = new Map<string, BulkValue[]>();
  const skus = [...perSku.keys()].sort();

  // Each SKU's inputs and writes concern only that SKU, so its inputs can be
  // read with those of the other SKUs before any of them is refreshed.
  for (let start = 0; start < skus.length; start += READ_CHUNK) {
    const chunk = skus.slice(start, start + READ_CHUNK);
    const inputs = await loadSweepInputs(work.db, work.now, chunk, locations);
    const allocated = await readAllocatedLines(work.db, chunk.flatMap((sku) => [...perSku.get(sku)!.allocated]));

    for (const sku of chunk) {
      const input = inputs.get(sku);
      if (!input) continue;
      const curve = await refreshSku(work, sku, perSku.get(sku)!, input, locations, allocated, estimates);
      if (curve !== input.storedCurveText) curves.set(sku, [curve]);
    }
  }

  await estimates.save();
  await updateByKey(work, PROMISE_CURVES, curves);
}

const READ_CHUNK = 500;

const PROMISE_CURVES: BulkUpdate = { table: 'skus', key: 'code', columns: [{ name: 'promise_curve', type: 'text', mode: 'set' }] };

/** Re-promises one SKU's lines; returns the text of its supply curve, to store when it changed. */
async function refreshSku(
  work: Work,
  sku: string,
  change: QueueChange,
  input: LoadedInput,
  locations: Map<string, PromiseLocation>,
  allocated: AllocatedLines,
  estimates: EstimateWriter,
): Promise<string> {
  const curve = supplyCurve(input);
  const stored = input.storedCurve;
  const restricted = [...locations.values()].some((location) => location.shipsTo !== null);

  if (change.allocated.size > 0) await promiseAllocatedLines(estimates, sku, change.allocated, input, locations, allocated);

  const keptUnits = stored ? stored.queueUnits - change.servedFront : 0;
  const incremental =
    stored !== null && !change.sweepAll && !restricted && keptUnits >= 0 && curvesAgree(stored, curve, change.servedFront, keptUnits);

  if (incremental) {
    if (change.servedFront > 0) await promiseQueueFront(work, estimates, sku, curve);
    await promiseAppendedLines(work, estimates, change.appended, curve, keptUnits);
  } else {
    await sweepWholeQueue(work, estimates, sku, input);
  }

  const saved: StoredCurve = { steps: curve.steps, fallback: { date: curve.fallback.date, basis: curve.fallback.basis }, queueUnits: input.queueUnits };
  return JSON.stringify(saved);
}

export async function loadPromiseLocations(db: Reader): Promise<Map<string, PromiseLocation>> {
  const rows = await db.selectFrom('locations').selectAll().execute();
  return new Map(rows.map((row) => [row.code, promiseLocation(row)]));
}

export function promiseLocation(row: LocationTable): PromiseLocation {
  return {
    code: row.code,
    priority: row.priority,
    shipsTo: row.ships_to === null ? null : (JSON.parse(row.ships_to) as string[]),
    calendar: {
      timeZone: row.time_zone,
      workingDays: JSON.parse(row.working_days) as number[],
      holidays: JSON.parse(row.holidays) as string[],
    },
    receivingDays: row.receiving_days,
  };
}

export type LoadedInput = Omit<SweepInput, 'queue'> & { storedCurve: StoredCurve | null; storedCurveText: string | null; queueUnits: number };

/** Reads what a promise sweep of one SKU needs, except its queue; null for an unknown SKU. */
export async function loadSweepInput(db: Reader, now: Date, sku: string, locations: Map<string, PromiseLocation>): Promise<LoadedInput | null> {
  return (await loadSweepInputs(db, now, [sku], locations)).get(sku) ?? null;
}

/**
 * Reads what promise sweeps of several SKUs need, except their queues, with
 * three statements for all of them. Unknown SKUs are left out. SQLite allows
 * 32,766 bound parameters, so callers pass a few hundred SKUs at a time.
 */
export async function loadSweepInputs(db: Reader, now: Date, skus: readonly string[], locations: Map<string, PromiseLocation>): Promise<Map<string, LoadedInput>> {
  if (skus.length === 0) return new Map();
  const rows = await db.selectFrom('skus').selectAll().where('code', 'in', padInList(skus)).execute();
  return sweepInputsOfRows(db, now, rows, locations);
}

/** Reads the rest of what promise sweeps need, for SKU rows the caller has read. */
export async function sweepInputsOfRows(
  db: Reader,
  now: Date,
  rows: readonly Selectable<SkuTable>[],
  locations: Map<string, PromiseLocation>,
): Promise<Map<string, LoadedInput>> {
  const inputs = new Map<string, LoadedInput>();
  if (rows.length === 0) return inputs;
  const skus = rows.map((row) => row.code);

  const levels = await db.selectFrom('stock_levels').select(['sku', 'location', 'on_hand', 'allocated']).where('sku', 'in', padInList(skus)).execute();
  const supply = await db
    .selectFrom('purchase_order_lines')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.purchase_order_id')
    .select([
      'purchase_order_lines.id', 'purchase_order_lines.sku', 'purchase_orders.location', 'purchase_orders.expected_date',
      'purchase_order_lines.quantity', 'purchase_order_lines.received',
    ])
    .where('purchase_order_lines.sku', 'in', padInList(skus))
    // A literal, not a parameter: SQLite re-plans a statement on every run
    // when a parameter decides whether a partial index applies.
    .where('purchase_order_lines.open', '=', sql.lit(1))
    .execute();

  const stock = groupBySku(levels, (level) => ({ location: level.location, available: Math.max(0, level.on_hand - level.allocated) }));
  const inbound = groupBySku(supply, (line) => ({
    id: line.id,
    location: line.location,
    expectedDate: line.expected_date,
    quantity: Math.max(0, line.quantity - line.received),
  }));
  for (const row of rows) {
    inputs.set(row.code, {
      now,
      sku: promiseSku(row, now, locations),
      locations,
      stock: stock.get(row.code) ?? [],
      supply: inbound.get(row.code) ?? [],
      storedCurve: row.promise_curve === null ? null : (JSON.parse(row.promise_curve) as StoredCurve),
      storedCurveText: row.promise_curve,
      queueUnits: row.backordered,
    });
  }
  return inputs;
}

function groupBySku<R extends { sku: string }, T>(rows: readonly R[], convert: (row: R) => T): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.sku);
    if (list) list.push(convert(row));
    else grouped.set(row.sku, [convert(row)]);
  }
  return grouped;
}

/**
 * The SKU's promise rules. A preorder's release date holds shipments back
 * only until it has begun at the locations; afterwards it no longer applies.
 */
export function promiseSku(
  row: { policy: string; handling_days: number; lead_time_days: number | null; restock_date: string | null; release_date: string | null },
  now: Date,
  locations: Map<string, PromiseLocation>,
): PromiseSku {
  const zones = [...locations.values()].map((l) => l.calendar.timeZone);
  const released = row.release_date === null || zones.some((zone) => dateAt(now, zone) >= row.release_date!);
  return {
    handlingDays: row.handling_days,
    leadTimeDays: row.lead_time_days,
    restockDate: row.restock_date,
    releaseDate: row.policy === 'preorder' && !released ? row.release_date : null,
  };
}

async function sweepWholeQueue(work: Work, estimates: EstimateWriter, sku: string, input: LoadedInput): Promise<void> {
  const queue = await loadQueue(work.db, sku);
  const { lines } = sweepPromises({
    ...input,
    queue: queue.map((line) => ({ id: line.id, backordered: line.backordered, shippingCountry: line.shipping_country })),
  });
  await estimates.add(
    sku,
    queue.map((line, index) => ({ line, date: lines[index]! })),
  );
}

/** Reads a SKU's queue in queue order, whole or its first `limit` lines, with what a sweep and its report need. */
export async function loadQueue(db: Reader, sku: string, limit?: number) {
  let query = db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'backordered', 'shipping_country', 'promised_ship_date', 'estimated_ship_date', 'ship_date_basis'])
    .where('sku', '=', sku)
    .where('backordered', '>', 0)
    .orderBy('priority', 'desc')
    .orderBy('placed_at')
    .orderBy('id');
  if (limit !== undefined) query = query.limit(limit);
  return query.execute();
}

/**
 * Re-dates the line now at the front of the queue. When part of it was just
 * served, it waits for fewer units than its date was computed for, so its
 * date may be earlier. Every line behind it still waits for the same units.
 */
async function promiseQueueFront(work: Work, estimates: EstimateWriter, sku: string, curve: ReturnType<typeof supplyCurve>): Promise<void> {
  const [front] = await loadQueue(work.db, sku, 1);
  if (!front) return;
  const date = dateOfUnits(curve, 0, front.backordered);
  await estimates.add(sku, [{ line: front, date: { ...date, estimate: date.basis === 'restock_date' || date.basis === 'lead_time', inboundLineId: null } }]);
}

async function promiseAppendedLines(
  work: Work,
  estimates: EstimateWriter,
  lineIds: string[],
  curve: ReturnType<typeof supplyCurve>,
  keptUnits: number,
): Promise<void> {
  if (lineIds.length === 0) return;

  const rows = await work.db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'sku', 'backordered', 'promised_ship_date', 'estimated_ship_date', 'ship_date_basis'])
    .where('id', 'in', padInList(lineIds))
    .execute();
  let end = keptUnits;
  for (const id of lineIds) {
    const line = rows.find((row) => row.id === id);
    if (!line || line.backordered === 0) continue;
    const date = dateOfUnits(curve, end, end + line.backordered);
    end += line.backordered;
    await estimates.add(line.sku, [{ line, date: { ...date, estimate: date.basis === 'restock_date' || date.basis === 'lead_time', inboundLineId: null } }]);
  }
}

/** Lines that left a queue or were allocated at placement, with the locations that hold their units. */
interface AllocatedLines {
  lines: Map<string, EstimatedLine & { backordered: number }>;
  locations: Map<string, string[]>;
}

/** Reads the lines and their open allocations, a few hundred lines per statement. */
async function readAllocatedLines(db: Reader, lineIds: readonly string[]): Promise<AllocatedLines> {
  const found: AllocatedLines = { lines: new Map(), locations: new Map() };
  for (let start = 0; start < lineIds.length; start += READ_CHUNK) {
    const ids = lineIds.slice(start, start + READ_CHUNK);
    const lines = await db
      .selectFrom('order_lines')
      .select(['id', 'order_id', 'backordered', 'promised_ship_date', 'estimated_ship_date', 'ship_date_basis'])
      .where('id', 'in', padInList(ids))
      .execute();
    for (const line of lines) found.lines.set(line.id, line);

    const allocations = await db.selectFrom('line_allocations').select(['line_id', 'location']).where('line_id', 'in', padInList(ids)).where('quantity', '>', 0).execute();
    for (const allocation of allocations) {
      const codes = found.locations.get(allocation.line_id);
      if (codes) codes.push(allocation.location);
      else found.locations.set(allocation.line_id, [allocation.location]);
    }
  }
  return found;
}

/** Dates each fully allocated line by the latest stock ship date of the locations holding its units. */
async function promiseAllocatedLines(
  estimates: EstimateWriter,
  sku: string,
  lineIds: Set<string>,
  input: LoadedInput,
  locations: Map<string, PromiseLocation>,
  allocated: AllocatedLines,
): Promise<void> {
  const entries: { line: EstimatedLine; date: ShipDate }[] = [];
  for (const id of [...lineIds].sort()) {
    const line = allocated.lines.get(id);
    if (!line || line.backordered > 0) continue;
    let latest: ShipDate | null = null;
    for (const code of allocated.locations.get(id) ?? []) {
      const location = locations.get(code);
      if (!location) continue;
      const date = stockShipDate(input, location);
      if (latest === null || (date.date ?? '') > (latest.date ?? '')) latest = date;
    }
    if (latest) entries.push({ line, date: latest });
  }
  await estimates.add(sku, entries);
}

type EstimatedLine = {
  id: string;
  order_id: string;
  promised_ship_date: string | null;
  estimated_ship_date: string | null;
  ship_date_basis: string | null;
};

const UPDATE_CHUNK = 500;

/**
 * Collects the estimates of one refresh and writes them at its end, with one
 * UPDATE per distinct date and basis across all its SKUs (a whole sweep has
 * few distinct dates, however long the queue). Each `promise.changed` event
 * is emitted when its estimate is added. A line read again before the
 * writes is seen with its pending estimate.
 */
class EstimateWriter {
  private readonly pending = new Map<string, { estimated: string | null; basis: string; promised: string | null }>();

  constructor(private readonly work: Work) {}

  /** Adds the estimates that changed, and a `promise.changed` event per line whose estimate moved. */
  async add(sku: string, entries: { line: EstimatedLine; date: ShipDate }[]): Promise<void> {
    for (const entry of entries) {
      const line = this.current(entry.line);
      const { date } = entry;
      // A line whose date is still unknown has no first promise to write, so a
      // sweep leaves it alone instead of rewriting it with the same values.
      const unchanged = line.estimated_ship_date === date.date && line.ship_date_basis === date.basis;
      if (unchanged && (line.promised_ship_date !== null || date.date === null)) continue;

      // The UPDATE keeps an existing promise, so a second estimate of one
      // line must wait until the first is written.
      if (this.pending.has(line.id)) await this.save();
      this.pending.set(line.id, { estimated: date.date, basis: date.basis, promised: line.promised_ship_date ?? date.date });
      if (line.ship_date_basis !== null && line.estimated_ship_date !== date.date) emitPromiseChanged(this.work, sku, line, date);
    }
  }

  /** Writes the pending estimates and the first promise of lines that had none. */
  async save(): Promise<void> {
    const groups = new Map<string, { date: string | null; basis: string; ids: string[] }>();
    for (const [id, estimate] of this.pending) {
      const key = `${estimate.estimated}|${estimate.basis}`;
      const group = groups.get(key) ?? { date: estimate.estimated, basis: estimate.basis, ids: [] };
      group.ids.push(id);
      groups.set(key, group);
    }
    this.pending.clear();

    for (const group of groups.values()) {
      for (let start = 0; start < group.ids.length; start += UPDATE_CHUNK) {
        await this.work.db
          .updateTable('order_lines')
          .set((eb) => ({
            estimated_ship_date: group.date,
            ship_date_basis: group.basis,
            promised_ship_date: eb.fn.coalesce('promised_ship_date', eb.val(group.date)),
          }))
          .where('id', 'in', group.ids.slice(start, start + UPDATE_CHUNK))
          .execute();
      }
    }
  }

  /** Returns the line as it will read once the pending estimates are written. */
  private current(line: EstimatedLine): EstimatedLine {
    const estimate = this.pending.get(line.id);
    if (!estimate) return line;
    return { ...line, estimated_ship_date: estimate.estimated, ship_date_basis: estimate.basis, promised_ship_date: estimate.promised };
  }
}

function emitPromiseChanged(work: Work, sku: string, line: EstimatedLine, date: ShipDate): void {
  const promised = line.promised_ship_date ?? date.date;
  work.emit({
    type: 'promise.changed',
    orderId: line.order_id,
    lineId: line.id,
    sku,
    data: {
      previous_estimated_ship_date: line.estimated_ship_date,
      estimated_ship_date: date.date,
      basis: date.basis,
      promised_ship_date: promised,
      delayed: promised !== null && date.date !== null && date.date > promised,
    },
  });
}
