/**
 * HTML that is safe to insert as it is: markup written in a template, with
 * every interpolated value already escaped.
 */
export class SafeHtml {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an HTML element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}

/**
 * Tagged template for HTML: the literal parts are markup, and every value is
 * escaped unless it is SafeHtml (the result of another `html` template).
 * Arrays are joined, so a list of `html` items can be interpolated; null and
 * undefined insert nothing.
 */
export function html(literals: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let markup = literals[0]!;
  values.forEach((value, index) => {
    markup += markupOf(value) + literals[index + 1]!;
  });
  return new SafeHtml(markup);
}

function markupOf(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(markupOf).join('');
  return escapeHtml(String(value));
}
