import { dateAt } from '../domain/calendar.js';
import {
  curvesAgree, dateOfUnits, stockShipDate, sweepPromises, supplyCurve, type CurveStep, type PromiseLocation, type PromiseSku, type ShipDate,
  type SweepInput,
} from '../domain/promise.js';
import { sql, type Kysely } from 'kysely';
import type { Database, LocationTable } from '../store/schema.js';

type Reader = Kysely<Database>;
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
  for (const [sku, change] of [...perSku].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await refreshSku(work, sku, change, locations);
  }
}

async function refreshSku(work: Work, sku: string, change: QueueChange, locations: Map<string, PromiseLocation>): Promise<void> {
  const input = await loadSweepInput(work.db, work.now, sku, locations);
  if (!input) return;

  const curve = supplyCurve(input);
  const stored = input.storedCurve;
  const restricted = [...locations.values()].some((location) => location.shipsTo !== null);

  if (change.allocated.size > 0) await promiseAllocatedLines(work, sku, [...change.allocated], input, locations);

  const keptUnits = stored ? stored.queueUnits - change.servedFront : 0;
  const incremental =
    stored !== null && !change.sweepAll && !restricted && keptUnits >= 0 && curvesAgree(stored, curve, change.servedFront, keptUnits);

  if (incremental) {
    if (change.servedFront > 0) await promiseQueueFront(work, sku, curve);
    await promiseAppendedLines(work, change.appended, curve, keptUnits);
  } else {
    await sweepWholeQueue(work, sku, input);
  }

  const saved: StoredCurve = { steps: curve.steps, fallback: { date: curve.fallback.date, basis: curve.fallback.basis }, queueUnits: input.queueUnits };
  const text = JSON.stringify(saved);
  if (text !== input.storedCurveText) {
    await work.db.updateTable('skus').set({ promise_curve: text }).where('code', '=', sku).execute();
  }
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
  const row = await db.selectFrom('skus').selectAll().where('code', '=', sku).executeTakeFirst();
  if (!row) return null;

  const levels = await db.selectFrom('stock_levels').select(['location', 'on_hand', 'allocated']).where('sku', '=', sku).execute();
  const supply = await db
    .selectFrom('purchase_order_lines')
    .innerJoin('purchase_orders', 'purchase_orders.id', 'purchase_order_lines.purchase_order_id')
    .select(['purchase_order_lines.id', 'purchase_orders.location', 'purchase_orders.expected_date', 'purchase_order_lines.quantity', 'purchase_order_lines.received'])
    .where('purchase_order_lines.sku', '=', sku)
    // A literal, not a parameter: SQLite re-plans a statement on every run
    // when a parameter decides whether a partial index applies.
    .where('purchase_order_lines.open', '=', sql.lit(1))
    .execute();

  return {
    now,
    sku: promiseSku(row, now, locations),
    locations,
    stock: levels.map((level) => ({ location: level.location, available: Math.max(0, level.on_hand - level.allocated) })),
    supply: supply.map((line) => ({
      id: line.id,
      location: line.location,
      expectedDate: line.expected_date,
      quantity: Math.max(0, line.quantity - line.received),
    })),
    storedCurve: row.promise_curve === null ? null : (JSON.parse(row.promise_curve) as StoredCurve),
    storedCurveText: row.promise_curve,
    queueUnits: row.backordered,
  };
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

async function sweepWholeQueue(work: Work, sku: string, input: LoadedInput): Promise<void> {
  const queue = await loadQueue(work.db, sku);
  const { lines } = sweepPromises({
    ...input,
    queue: queue.map((line) => ({ id: line.id, backordered: line.backordered, shippingCountry: line.shipping_country })),
  });
  await saveEstimates(
    work,
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
async function promiseQueueFront(work: Work, sku: string, curve: ReturnType<typeof supplyCurve>): Promise<void> {
  const [front] = await loadQueue(work.db, sku, 1);
  if (!front) return;
  const date = dateOfUnits(curve, 0, front.backordered);
  await saveEstimate(work, sku, front, { ...date, estimate: date.basis === 'restock_date' || date.basis === 'lead_time', inboundLineId: null });
}

async function promiseAppendedLines(work: Work, lineIds: string[], curve: ReturnType<typeof supplyCurve>, keptUnits: number): Promise<void> {
  if (lineIds.length === 0) return;

  const rows = await work.db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'sku', 'backordered', 'promised_ship_date', 'estimated_ship_date', 'ship_date_basis'])
    .where('id', 'in', lineIds)
    .execute();
  let end = keptUnits;
  for (const id of lineIds) {
    const line = rows.find((row) => row.id === id);
    if (!line || line.backordered === 0) continue;
    const date = dateOfUnits(curve, end, end + line.backordered);
    end += line.backordered;
    await saveEstimate(work, line.sku, line, { ...date, estimate: date.basis === 'restock_date' || date.basis === 'lead_time', inboundLineId: null });
  }
}

async function promiseAllocatedLines(
  work: Work,
  sku: string,
  lineIds: string[],
  input: LoadedInput,
  locations: Map<string, PromiseLocation>,
): Promise<void> {
  const lines = await work.db
    .selectFrom('order_lines')
    .select(['id', 'order_id', 'backordered', 'promised_ship_date', 'estimated_ship_date', 'ship_date_basis'])
    .where('id', 'in', lineIds)
    .execute();
  const allocations = await work.db.selectFrom('line_allocations').select(['line_id', 'location']).where('line_id', 'in', lineIds).where('quantity', '>', 0).execute();

  for (const line of lines) {
    if (line.backordered > 0) continue;
    let latest: ShipDate | null = null;
    for (const allocation of allocations.filter((a) => a.line_id === line.id)) {
      const location = locations.get(allocation.location);
      if (!location) continue;
      const date = stockShipDate(input, location);
      if (latest === null || (date.date ?? '') > (latest.date ?? '')) latest = date;
    }
    if (latest) await saveEstimate(work, sku, line, latest);
  }
}

type EstimatedLine = {
  id: string;
  order_id: string;
  promised_ship_date: string | null;
  estimated_ship_date: string | null;
  ship_date_basis: string | null;
};

/** Writes a line's estimate, its first promise, and a `promise.changed` event when the estimate moved. */
async function saveEstimate(work: Work, sku: string, line: EstimatedLine, date: ShipDate): Promise<void> {
  await saveEstimates(work, sku, [{ line, date }]);
}

const UPDATE_CHUNK = 500;

/**
 * Writes the estimates that changed, with one UPDATE per distinct date and
 * basis (a whole sweep has few distinct dates, however long the queue), and
 * a `promise.changed` event per line whose estimate moved.
 */
async function saveEstimates(work: Work, sku: string, entries: { line: EstimatedLine; date: ShipDate }[]): Promise<void> {
  const groups = new Map<string, { date: string | null; basis: string; ids: string[] }>();

  for (const { line, date } of entries) {
    // A line whose date is still unknown has no first promise to write, so a
    // sweep leaves it alone instead of rewriting it with the same values.
    const unchanged = line.estimated_ship_date === date.date && line.ship_date_basis === date.basis;
    if (unchanged && (line.promised_ship_date !== null || date.date === null)) continue;

    const key = `${date.date}|${date.basis}`;
    const group = groups.get(key) ?? { date: date.date, basis: date.basis, ids: [] };
    group.ids.push(line.id);
    groups.set(key, group);
    if (line.ship_date_basis !== null && line.estimated_ship_date !== date.date) emitPromiseChanged(work, sku, line, date);
  }

  for (const group of groups.values()) {
    for (let start = 0; start < group.ids.length; start += UPDATE_CHUNK) {
      await work.db
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
