import { DEFAULT_LOCALE, formatDate, localeFrom } from '../../domain/messages.js';

export { formatDate };

/** Returns the locale an e-mail is written in: the order's customer locale when Intl supports it, else `en-US`. */
export function mailLocale(customerLocale: string | null | undefined): string {
  return customerLocale ? localeFrom(customerLocale) : DEFAULT_LOCALE;
}

// One formatter per locale and currency, because building one costs far
// more than formatting with it.
const moneyFormats = new Map<string, Intl.NumberFormat>();

/**
 * Formats an amount in the currency's minor units, such as 7200 USD in
 * en-US as "$72.00" and 7200 JPY as "¥7,200". The number of minor-unit
 * digits comes from Intl's data for the currency.
 */
export function formatMoney(minorUnits: number, currency: string, locale: string): string {
  const key = `${locale}\u0000${currency}`;
  let format = moneyFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: 'currency', currency });
    moneyFormats.set(key, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}
