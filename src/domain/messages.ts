import type { AvailabilityStatus } from './types.js';

export const DEFAULT_LOCALE = 'en-US';

/**
 * Picks the first locale of an Accept-Language header that Intl supports,
 * or `en-US`.
 */
export function localeFrom(acceptLanguage: string | undefined): string {
  if (!acceptLanguage) return DEFAULT_LOCALE;

  const tags = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const weight = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { tag: tag!.trim(), q: weight ? Number(weight.slice(2)) : 1 };
    })
    .filter((entry) => entry.tag !== '' && entry.tag !== '*' && entry.q > 0)
    .sort((a, b) => b.q - a.q);

  for (const { tag } of tags) {
    try {
      const [canonical] = Intl.getCanonicalLocales(tag);
      if (canonical && Intl.DateTimeFormat.supportedLocalesOf([canonical]).length > 0) return canonical;
    } catch {
      // An invalid tag is skipped, as HTTP requires for unknown languages.
    }
  }
  return DEFAULT_LOCALE;
}

/**
 * Formats a calendar date for people, such as "18 January 2027". English
 * uses day, month, year in every region, so the text reads the same
 * worldwide; other languages use their own order.
 */
export function formatDate(date: string, locale: string): string {
  return dateFormatFor(locale).format(new Date(`${date}T00:00:00Z`));
}

// Building an Intl.DateTimeFormat costs about 30 times formatting with one,
// so each locale's formatter is built once. Locales come from
// `localeFrom`, which returns only supported ones, so the cache stays small.
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormatFor(locale: string): Intl.DateTimeFormat {
  let format = dateFormats.get(locale);
  if (!format) {
    const language = locale.split('-')[0];
    const formatLocale = language === 'en' ? 'en-GB' : locale;
    format = new Intl.DateTimeFormat(formatLocale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    dateFormats.set(locale, format);
  }
  return format;
}

export interface MessageInput {
  status: AvailabilityStatus;
  shipsBy: string | null;
  restockDate: string | null;
  /** Today at the location that would ship, `YYYY-MM-DD`. */
  today: string;
  locale: string;
}

/** Writes the sentence a product page shows, such as "On backorder: ships by 18 January 2027". */
export function availabilityMessage(input: MessageInput): string {
  const { status, shipsBy, restockDate, today, locale } = input;
  const by = (prefix: string) =>
    shipsBy === null ? `${prefix}: ship date not yet known` : `${prefix}: ships by ${formatDate(shipsBy, locale)}`;

  switch (status) {
    case 'in_stock':
    case 'low_stock': {
      const prefix = status === 'in_stock' ? 'In stock' : 'Low stock';
      return shipsBy === today ? `${prefix}: ships today` : by(prefix);
    }
    case 'backorder':
      return by('On backorder');
    case 'preorder':
      return by('Preorder');
    case 'out_of_stock':
      return restockDate === null ? 'Out of stock' : `Out of stock: expected back ${formatDate(restockDate, locale)}`;
    case 'discontinued':
      return 'No longer available';
  }
}
