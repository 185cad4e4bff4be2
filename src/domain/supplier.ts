import { addCalendarDays } from './calendar.js';
import { forecastDemand, reorderAdvice } from './forecast.js';

/**
 * A simulated supplier for replays: when to reorder a SKU, how much, and
 * how each purchase order is delivered. Pure functions; randomness comes in
 * as a generator so that a seed reproduces a run.
 */

/** The inputs of one reorder review of a SKU. */
export interface ReorderReview {
  sku: string;
  /** Units demanded per day, oldest first, ending today, zeros included (see `forecastDemand`). */
  daily: readonly number[];
  /** On hand − allocated, summed over locations. */
  available: number;
  /** Units on open purchase orders not yet received. */
  inbound: number;
  /** Units waiting in the SKU's backorder queue. */
  backordered: number;
  /** Supplier lead time in calendar days. */
  leadTimeDays: number;
  /** Probability of not running out during a lead time, such as 0.95. */
  serviceLevel: number;
  /** Days between reviews that an order must also cover. */
  reviewDays: number;
  /** The review date, `YYYY-MM-DD`. */
  today: string;
}

/** A purchase order to issue: `quantity` units expected `leadTimeDays` after the review. */
export interface PurchaseDecision {
  sku: string;
  quantity: number;
  expectedDate: string;
  reorderPoint: number;
  stockPosition: number;
}

/**
 * Decides whether to reorder a SKU: when its stock position (available +
 * inbound − backordered) is at or below the reorder point, order the
 * quantity that `reorderAdvice` suggests, expected after the lead time.
 * Returns null when no order is needed.
 */
export function decideReorder(review: ReorderReview): PurchaseDecision | null {
  const forecast = forecastDemand(review.daily);
  const advice = reorderAdvice({
    forecast,
    available: review.available,
    inbound: review.inbound,
    backordered: review.backordered,
    leadTimeDays: review.leadTimeDays,
    serviceLevel: review.serviceLevel,
    reviewDays: review.reviewDays,
    today: review.today,
  });
  if (advice.suggestedQuantity <= 0) return null;

  return {
    sku: review.sku,
    quantity: advice.suggestedQuantity,
    expectedDate: addCalendarDays(review.today, review.leadTimeDays),
    reorderPoint: advice.reorderPoint,
    stockPosition: advice.stockPosition,
  };
}

/** Probabilities, each from 0 to 1, that a purchase order arrives late or short. */
export interface DeliveryRates {
  late: number;
  short: number;
}

/** The delivery of a purchase order: when it arrives and with how many units. */
export interface Delivery {
  /** The day the units arrive: the expected date, or later when late. */
  arrivalDate: string;
  /** Days after the expected date; 0 when on time. */
  lateDays: number;
  /** Units delivered: the quantity ordered, or fewer when short. */
  quantity: number;
  /** True when fewer units arrive than ordered; the rest never comes. */
  short: boolean;
}

/**
 * Draws the delivery of a purchase order. A late delivery arrives from 1 to
 * ⌈lead time / 2⌉ days (at least 1) after the expected date, uniformly. A
 * short one brings from half the quantity up to one unit less, uniformly,
 * rounded down. Every call draws exactly four numbers, so changing a rate
 * changes no other order's draws.
 */
export function drawDelivery(
  random: () => number,
  order: { quantity: number; expectedDate: string; leadTimeDays: number },
  rates: DeliveryRates,
): Delivery {
  const [lateDraw, lateSpan, shortDraw, shortShare] = [random(), random(), random(), random()];

  const late = lateDraw < rates.late;
  const maxLateDays = Math.max(1, Math.ceil(order.leadTimeDays / 2));
  const lateDays = late ? 1 + Math.floor(lateSpan * maxLateDays) : 0;

  const short = shortDraw < rates.short;
  const shortQuantity = Math.min(order.quantity - 1, Math.floor(order.quantity * (0.5 + 0.5 * shortShare)));
  return {
    arrivalDate: addCalendarDays(order.expectedDate, lateDays),
    lateDays,
    quantity: short ? Math.max(0, shortQuantity) : order.quantity,
    short,
  };
}

/**
 * Returns the opening stock that covers `coverDays` days of a SKU's demand
 * in its first `periodDays` days on sale, rounded up to whole units.
 */
export function openingStock(unitsInPeriod: number, coverDays: number, periodDays = 30): number {
  if (unitsInPeriod <= 0 || coverDays <= 0) return 0;
  return Math.ceil((unitsInPeriod * coverDays) / periodDays);
}

/**
 * Returns a seeded pseudo-random generator of numbers in [0, 1): Tommy
 * Ettinger's mulberry32, 32 bits of state. Fast and reproducible; not for
 * anything that needs unpredictability.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
