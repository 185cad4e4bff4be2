import { z } from 'zod';
import { isCalendarDate } from '../domain/calendar.js';
import { CAPTURE_MODES, SHIP_POLICIES, STOCK_POLICIES } from '../domain/types.js';

/** Field rules of the API contract, shared by every route. */

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
const REGION_NAMES = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

export const MAX_QUANTITY = 1_000_000;
export const MAX_LINES = 500;
export const MAX_UNIT_PRICE = 1_000_000_000;

export const skuCode = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, underscores or hyphens');

export const locationCode = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, dots, underscores or hyphens');

export const quantity = z
  .number({ error: 'must be a whole number from 1 to 1,000,000' })
  .int('must be a whole number from 1 to 1,000,000')
  .min(1, 'must be at least 1')
  .max(MAX_QUANTITY, 'must be at most 1,000,000');

export const count = (max: number) =>
  z
    .number({ error: `must be a whole number from 0 to ${max}` })
    .int(`must be a whole number from 0 to ${max}`)
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`);

export const unitPrice = count(MAX_UNIT_PRICE).describe('Price of one unit in the currency\'s minor units (1999 = 19.99)');

/** A calendar date that exists, such as 2027-01-18 (not 2027-02-30). */
export const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(isCalendarDate, 'must be a date that exists');

export const currency = z
  .string()
  .refine((code) => CURRENCIES.has(code), 'must be an ISO 4217 currency code in capitals, such as USD');

export const country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 two-letter country code in capitals, such as US')
  // Only a well-formed code is looked up: Intl.DisplayNames throws on other input, and the regex already reported it.
  .refine((code) => !/^[A-Z]{2}$/.test(code) || REGION_NAMES.of(code) !== code, 'must be an assigned ISO 3166 country code');

const EMAIL_HINT = 'must be an e-mail address such as a@example.com';

/**
 * An e-mail address of at most 254 characters (RFC 5321). Spaces around it
 * are removed before the check, because a pasted address often carries them.
 */
export const emailAddress = z
  .string({ error: EMAIL_HINT })
  .trim()
  .pipe(z.email(EMAIL_HINT).max(254, 'must be at most 254 characters'))
  .meta({ description: 'An e-mail address such as a@example.com; spaces around it are removed' });

export const timeZone = z.string().refine((zone) => TIME_ZONES.has(zone), 'must be an IANA time zone, such as America/New_York');

/** Free text of at most `max` characters. PostgreSQL cannot store the NUL character in text, so both databases reject it here. */
export const text = (max: number) =>
  z.string().max(max, `must be at most ${max} characters`).regex(/^[^\u0000]*$/, 'must not contain the NUL character (U+0000)');

/** An id this API returned, such as ord_…; only its length and characters are checked, so an unknown id is a 404. */
export const resourceId = text(64);

export const stockPolicy = z.enum(STOCK_POLICIES);
export const shipPolicy = z.enum(SHIP_POLICIES);
export const captureMode = z.enum(CAPTURE_MODES);

export const listQuery = {
  limit: z.coerce
    .number({ error: 'must be a whole number from 1 to 500' })
    .int('must be a whole number from 1 to 500')
    .min(1, 'must be at least 1')
    .max(500, 'must be at most 500')
    .default(50)
    .describe('Items per page, 1 to 500; default 50'),
  cursor: text(512).optional().describe("The next_cursor of the previous page; leave it out for the first page"),
};

export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });
}
