import { html, type SafeHtml } from './html.js';

/**
 * One piece of an e-mail body. Templates describe a message as blocks, and
 * the text and HTML bodies are both made from them, so the two always carry
 * the same content.
 */
export type Block =
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'link'; label: string; url: string };

/** A rendered e-mail: what a template returns. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

export function paragraph(text: string): Block {
  return { kind: 'paragraph', text };
}

export function list(items: string[]): Block {
  return { kind: 'list', items };
}

export function link(label: string, url: string): Block {
  return { kind: 'link', label, url };
}

/** Renders blocks to a plain-text and an HTML body; `locale` becomes the HTML document's language. */
export function composeMail(subject: string, blocks: Block[], locale: string): MailContent {
  return { subject, text: textBody(blocks), html: htmlBody(subject, blocks, locale).markup };
}

function textBody(blocks: Block[]): string {
  return `${blocks.map(textOf).join('\n\n')}\n`;
}

function textOf(block: Block): string {
  switch (block.kind) {
    case 'paragraph':
      return block.text;
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
    case 'link':
      return `${block.label}:\n${block.url}`;
  }
}

function htmlBody(subject: string, blocks: Block[], locale: string): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${subject}</title>
</head>
<body style="font-family: Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.5; color: #1a1a1a; max-width: 36em;">
${blocks.map(htmlOf)}
</body>
</html>
`;
}

function htmlOf(block: Block): SafeHtml {
  switch (block.kind) {
    case 'paragraph':
      return html`<p>${block.text}</p>\n`;
    case 'list':
      return html`<ul>\n${block.items.map((item) => html`<li>${item}</li>\n`)}</ul>\n`;
    case 'link':
      return html`<p><a href="${httpUrl(block.url)}">${block.label}</a></p>\n`;
  }
}

/** Lets only http and https URLs into a link, so no value can become a `javascript:` link. */
function httpUrl(url: string): string {
  const protocol = new URL(url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new Error(`E-mail link ${JSON.stringify(url)} is not an http or https URL; set RESTOCK_PUBLIC_URL to the server's http(s) address.`);
  }
  return url;
}
