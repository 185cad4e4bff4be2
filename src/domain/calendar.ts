import { Temporal } from 'temporal-polyfill';

/** A location's business calendar. Dates are `YYYY-MM-DD` in the location's time zone. */
export interface BusinessCalendar {
  timeZone: string;
  /** ISO weekday numbers, 1 = Monday. */
  workingDays: readonly number[];
  holidays: readonly string[];
}

/** Returns true when `text` is a date in the form YYYY-MM-DD that exists, such as 2027-01-18 (not 2027-02-30). */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** Returns the calendar date at `instant` in `timeZone`. */
export function dateAt(instant: Date, timeZone: string): string {
  // The UTC date is the ISO timestamp's date part for years 0 to 9999.
  const year = instant.getUTCFullYear();
  if (timeZone === 'UTC' && year >= 0 && year <= 9999) return instant.toISOString().slice(0, 10);
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone).toPlainDate().toString();
}

export function isBusinessDay(calendar: BusinessCalendar, date: string): boolean {
  return calendar.workingDays.includes(weekdayOf(date)) && !calendar.holidays.includes(date);
}

/** Returns `date` when it is a business day, else the next business day after it. */
export function rollToBusinessDay(calendar: BusinessCalendar, date: string): string {
  assertHasWorkingDays(calendar);
  // Adding 0 days returns the date as Temporal writes it, whatever form it came in.
  let day = addCalendarDays(date, 0);
  while (!isBusinessDay(calendar, day)) day = addCalendarDays(day, 1);
  return day;
}

/**
 * Adds `days` business days to a date: the start is first rolled to a
 * business day, then each further business day counts one.
 */
export function addBusinessDays(calendar: BusinessCalendar, date: string, days: number): string {
  let current = rollToBusinessDay(calendar, date);
  for (let left = days; left > 0; ) {
    current = addCalendarDays(current, 1);
    if (isBusinessDay(calendar, current)) left -= 1;
  }
  return current;
}

export function addCalendarDays(date: string, days: number): string {
  const key = `${date}|${days}`;
  let result = shiftedDates.get(key);
  if (result === undefined) {
    result = Temporal.PlainDate.from(date).add({ days }).toString();
    remember(shiftedDates, key, result);
  }
  return result;
}

// Promise sweeps and replays request the same few hundred dates again and
// again, and Temporal parses each string anew. These caches keep the
// results, which depend on the string alone, and empty when they pass a bound.
const CACHE_LIMIT = 10_000;
const weekdays = new Map<string, number>();
const shiftedDates = new Map<string, string>();

/** Returns the ISO weekday of a date, 1 = Monday; throws on an invalid date as Temporal does. */
function weekdayOf(date: string): number {
  let weekday = weekdays.get(date);
  if (weekday === undefined) {
    weekday = Temporal.PlainDate.from(date).dayOfWeek;
    remember(weekdays, date, weekday);
  }
  return weekday;
}

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
}

export function laterDate(a: string, b: string): string {
  return a >= b ? a : b;
}

function assertHasWorkingDays(calendar: BusinessCalendar): void {
  if (calendar.workingDays.length === 0) {
    throw new RangeError('A business calendar needs at least one working day.');
  }
}
