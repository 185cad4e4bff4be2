import { Temporal } from 'temporal-polyfill';

/** A location's business calendar. Dates are `YYYY-MM-DD` in the location's time zone. */
export interface BusinessCalendar {
  timeZone: string;
  /** ISO weekday numbers, 1 = Monday. */
  workingDays: readonly number[];
  holidays: readonly string[];
}

/** Returns the calendar date at `instant` in `timeZone`. */
export function dateAt(instant: Date, timeZone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(timeZone).toPlainDate().toString();
}

export function isBusinessDay(calendar: BusinessCalendar, date: string): boolean {
  const day = Temporal.PlainDate.from(date);
  return calendar.workingDays.includes(day.dayOfWeek) && !calendar.holidays.includes(date);
}

/** Returns `date` when it is a business day, else the next business day after it. */
export function rollToBusinessDay(calendar: BusinessCalendar, date: string): string {
  assertHasWorkingDays(calendar);
  let day = Temporal.PlainDate.from(date);
  while (!isBusinessDay(calendar, day.toString())) day = day.add({ days: 1 });
  return day.toString();
}

/**
 * Adds `days` business days to a date: the start is first rolled to a
 * business day, then each further business day counts one.
 */
export function addBusinessDays(calendar: BusinessCalendar, date: string, days: number): string {
  let current = Temporal.PlainDate.from(rollToBusinessDay(calendar, date));
  for (let left = days; left > 0; ) {
    current = current.add({ days: 1 });
    if (isBusinessDay(calendar, current.toString())) left -= 1;
  }
  return current.toString();
}

export function addCalendarDays(date: string, days: number): string {
  return Temporal.PlainDate.from(date).add({ days }).toString();
}

export function laterDate(a: string, b: string): string {
  return a >= b ? a : b;
}

function assertHasWorkingDays(calendar: BusinessCalendar): void {
  if (calendar.workingDays.length === 0) {
    throw new RangeError('A business calendar needs at least one working day.');
  }
}
