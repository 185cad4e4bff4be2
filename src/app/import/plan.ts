import type { StockPolicy } from '../../domain/types.js';
import type { SkuInput } from '../catalog.js';
import type { PlaceOrderInput } from '../place-order.js';
import type { PurchaseOrderInput } from '../purchase-orders.js';
import type { AdjustmentInput } from '../stock.js';
import { quote, type ImportIssue } from './issues.js';
import type { ValidRow } from './table.js';

export const IMPORT_KINDS = ['skus', 'stock', 'purchase-orders', 'backorders'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/** The reason written on the adjustment of each imported stock level. */
export const IMPORT_REASON = 'import';

export interface SkuRow {
  sku: string;
  name?: string;
  policy: StockPolicy;
  backorder_limit?: number | null;
  low_stock_threshold?: number;
  lead_time_days?: number | null;
  handling_days?: number;
  restock_date?: string | null;
  release_date?: string | null;
}

export interface StockRow {
  sku: string;
  location?: string;
  on_hand: number;
}

export interface PurchaseOrderRow {
  reference: string;
  location?: string;
  expected_date: string;
  sku: string;
  quantity: number;
}

export interface BackorderRow {
  external_id?: string | null;
  customer_email?: string | null;
  sku: string;
  quantity: number;
  unit_price: number;
  currency: string;
  /** An RFC 3339 timestamp. */
  placed_at: string;
  priority?: number;
}

/** A file whose rows passed the column checks, in the order the import names it. */
export interface ValidatedFile {
  kind: ImportKind;
  file: string;
  rows: ValidRow[];
  /**
   * Rows that failed the column checks, with their valid cells. A SKU code
   * on such a row still counts as defined, so that one bad skus row is not
   * reported again on every row that uses the SKU.
   */
  invalidRows?: ValidRow[];
}

/** The stored records that rows may refer to. */
export interface ImportContext {
  skus: ReadonlySet<string>;
  locations: ReadonlySet<string>;
  /** References of purchase orders that are open or partially received. */
  openPurchaseOrderReferences: ReadonlySet<string>;
  /** External ids of orders already stored, so an import run twice does not place its orders twice. */
  orderExternalIds: ReadonlySet<string>;
  now: Date;
  /** The most lines one purchase order or order may have, as in the API. */
  maxLines: number;
}

export type ImportStep =
  | { kind: 'skus'; file: string; items: { row: number; code: string; input: SkuInput }[] }
  | { kind: 'stock'; file: string; items: { row: number; input: AdjustmentInput }[] }
  | { kind: 'purchase-orders'; file: string; items: { rows: number[]; input: PurchaseOrderInput }[] }
  | { kind: 'backorders'; file: string; items: BackorderItem[] };

export interface BackorderItem {
  /** The file rows of the order's lines, in line order. */
  rows: number[];
  placedAt: Date;
  input: PlaceOrderInput;
}

/**
 * Checks what single rows cannot show (SKUs and locations that must exist,
 * duplicate keys, rows of one purchase order or order that disagree) and
 * turns the rows into inputs for the use cases. A SKU defined by a skus file
 * earlier in the same import counts as existing. Orders come out sorted by
 * placement time, so placing them in that order rebuilds the queue order.
 */
export function planImport(files: readonly ValidatedFile[], context: ImportContext): { steps: ImportStep[]; issues: ImportIssue[] } {
  const skus = new Set(context.skus);
  const issues: ImportIssue[] = [];
  const steps: ImportStep[] = [];

  for (const file of files) {
    const report = (row: number, column: string | undefined, message: string) =>
      issues.push({ file: file.file, row, ...(column === undefined ? {} : { column }), message });
    const checks: Checks = { skus, context, report };

    switch (file.kind) {
      case 'skus':
        steps.push(planSkus(file, checks));
        break;
      case 'stock':
        steps.push(planStock(file, checks));
        break;
      case 'purchase-orders':
        steps.push(planPurchaseOrders(file, checks));
        break;
      case 'backorders':
        steps.push(planBackorders(file, checks));
        break;
    }
  }
  return { steps, issues };
}

interface Checks {
  /** SKUs in the database or defined earlier in this import. */
  skus: Set<string>;
  context: ImportContext;
  report: (row: number, column: string | undefined, message: string) => void;
}

function planSkus(file: ValidatedFile, checks: Checks): ImportStep {
  const firstRow = new Map<string, number>();
  const items: { row: number; code: string; input: SkuInput }[] = [];
  for (const { values } of file.invalidRows ?? []) {
    if (typeof values.sku === 'string') checks.skus.add(values.sku);
  }

  for (const { row, values } of file.rows) {
    const sku = values as unknown as SkuRow;
    const earlier = firstRow.get(sku.sku);
    if (earlier !== undefined) {
      checks.report(row, 'sku', `${quote(sku.sku)} is already defined on row ${earlier}; keep one row per SKU.`);
      continue;
    }
    firstRow.set(sku.sku, row);
    checks.skus.add(sku.sku);
    items.push({
      row,
      code: sku.sku,
      input: {
        name: sku.name,
        policy: sku.policy,
        backorderLimit: sku.backorder_limit,
        lowStockThreshold: sku.low_stock_threshold,
        leadTimeDays: sku.lead_time_days,
        handlingDays: sku.handling_days,
        restockDate: sku.restock_date,
        releaseDate: sku.release_date,
      },
    });
  }
  return { kind: 'skus', file: file.file, items };
}

function planStock(file: ValidatedFile, checks: Checks): ImportStep {
  const firstRow = new Map<string, number>();
  const items: { row: number; input: AdjustmentInput }[] = [];

  for (const { row, values } of file.rows) {
    const level = values as unknown as StockRow;
    const location = level.location ?? 'main';
    const knownSku = checkSku(checks, row, level.sku);
    const known = checkLocation(checks, row, location) && knownSku;
    const key = `${level.sku}\u0000${location}`;
    const earlier = firstRow.get(key);
    if (earlier !== undefined) {
      checks.report(row, 'sku', `${quote(level.sku)} at location ${location} is already counted on row ${earlier}; keep one row per SKU and location.`);
      continue;
    }
    firstRow.set(key, row);
    if (known) items.push({ row, input: { sku: level.sku, location, onHand: level.on_hand, reason: IMPORT_REASON } });
  }
  return { kind: 'stock', file: file.file, items };
}

function planPurchaseOrders(file: ValidatedFile, checks: Checks): ImportStep {
  const groups = new Map<string, { first: PurchaseOrderRow & { row: number }; rows: number[]; input: PurchaseOrderInput }>();

  for (const { row, values } of file.rows) {
    const line = values as unknown as PurchaseOrderRow;
    const location = line.location ?? 'main';
    const knownSku = checkSku(checks, row, line.sku);
    let valid = checkLocation(checks, row, location) && knownSku;

    if (checks.context.openPurchaseOrderReferences.has(line.reference)) {
      checks.report(
        row,
        'reference',
        `${quote(line.reference)} is the reference of an open purchase order already stored; remove its rows, or close that purchase order first.`,
      );
      valid = false;
    }

    const group = groups.get(line.reference);
    if (group) {
      valid = sameField(checks, row, 'location', location, group.first.location ?? 'main', group.first.row, `purchase order ${line.reference}`) && valid;
      valid = sameField(checks, row, 'expected_date', line.expected_date, group.first.expected_date, group.first.row, `purchase order ${line.reference}`) && valid;
      if (valid && group.input.lines.length === checks.context.maxLines) {
        checks.report(row, 'reference', `purchase order ${line.reference} has more than ${checks.context.maxLines} lines; split it into several references.`);
        valid = false;
      }
      if (valid) {
        group.rows.push(row);
        group.input.lines.push({ sku: line.sku, quantity: line.quantity });
      }
    } else if (valid) {
      groups.set(line.reference, {
        first: { ...line, row },
        rows: [row],
        input: { reference: line.reference, location, expectedDate: line.expected_date, lines: [{ sku: line.sku, quantity: line.quantity }] },
      });
    }
  }

  const items = [...groups.values()].map(({ rows, input }) => ({ rows, input }));
  return { kind: 'purchase-orders', file: file.file, items };
}

function planBackorders(file: ValidatedFile, checks: Checks): ImportStep {
  const groups = new Map<string, { first: BackorderRow & { row: number }; item: BackorderItem }>();
  const items: BackorderItem[] = [];

  for (const { row, values } of file.rows) {
    const line = values as unknown as BackorderRow;
    const placedAt = new Date(line.placed_at);
    let valid = checkSku(checks, row, line.sku);

    if (placedAt.getTime() > checks.context.now.getTime()) {
      checks.report(row, 'placed_at', `${quote(line.placed_at)} is in the future; use the time the order was placed.`);
      valid = false;
    }

    const externalId = line.external_id ?? null;
    if (externalId !== null && checks.context.orderExternalIds.has(externalId)) {
      checks.report(row, 'external_id', `${quote(externalId)} is the external id of an order already stored; remove the rows of orders that were imported before.`);
      valid = false;
    }

    const group = externalId === null ? undefined : groups.get(externalId);
    if (group) {
      valid = sameOrderFields(checks, row, line, group.first) && valid;
      if (valid && group.item.rows.length === checks.context.maxLines) {
        checks.report(row, 'external_id', `order ${quote(externalId!)} has more than ${checks.context.maxLines} lines; split it into several orders.`);
        valid = false;
      }
      if (valid) {
        group.item.rows.push(row);
        group.item.input.lines.push({ sku: line.sku, quantity: line.quantity, unitPrice: line.unit_price });
      }
      continue;
    }
    if (!valid) continue;

    const item: BackorderItem = {
      rows: [row],
      placedAt,
      input: {
        externalId,
        customer: line.customer_email ? { email: line.customer_email } : undefined,
        currency: line.currency,
        priority: line.priority,
        lines: [{ sku: line.sku, quantity: line.quantity, unitPrice: line.unit_price }],
      },
    };
    items.push(item);
    if (externalId !== null) groups.set(externalId, { first: { ...line, row }, item });
  }

  // Array.prototype.sort is stable, so orders placed at the same instant keep the file's order.
  items.sort((a, b) => a.placedAt.getTime() - b.placedAt.getTime());
  return { kind: 'backorders', file: file.file, items };
}

function sameOrderFields(checks: Checks, row: number, line: BackorderRow, first: BackorderRow & { row: number }): boolean {
  const order = `order ${quote(line.external_id!)}`;
  const placedAt = new Date(line.placed_at).getTime() === new Date(first.placed_at).getTime() ? first.placed_at : line.placed_at;
  let same = sameField(checks, row, 'customer_email', line.customer_email ?? '', first.customer_email ?? '', first.row, order);
  same = sameField(checks, row, 'currency', line.currency, first.currency, first.row, order) && same;
  same = sameField(checks, row, 'placed_at', placedAt, first.placed_at, first.row, order) && same;
  same = sameField(checks, row, 'priority', String(line.priority ?? 0), String(first.priority ?? 0), first.row, order) && same;
  return same;
}

function sameField(checks: Checks, row: number, column: string, value: string, firstValue: string, firstRow: number, owner: string): boolean {
  if (value === firstValue) return true;
  checks.report(
    row,
    column,
    `${quote(value)} differs from ${quote(firstValue)} on row ${firstRow}; every row of ${owner} must have the same ${column}.`,
  );
  return false;
}

function checkSku(checks: Checks, row: number, sku: string): boolean {
  if (checks.skus.has(sku)) return true;
  checks.report(row, 'sku', `${quote(sku)} is not a known SKU; create it first, for example with a skus file earlier in the same import.`);
  return false;
}

function checkLocation(checks: Checks, row: number, location: string): boolean {
  if (checks.context.locations.has(location)) return true;
  checks.report(row, 'location', `${quote(location)} is not a known location; create it with PUT /v1/locations/${location}, or leave the cell empty for main.`);
  return false;
}
