import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Clock } from '../../domain/clock.js';
import { systemClock } from '../../domain/clock.js';

/** One message as the e-mail channel hands it to a transport. */
export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Message-ID header, `<…@…>`; the same on every attempt of one delivery, so receivers can drop repeats. */
  messageId: string;
  /** An unsubscribe URL for the List-Unsubscribe and List-Unsubscribe-Post headers. */
  unsubscribe?: string;
}

export interface SentMail {
  messageId: string;
  /** The `.eml` file written, for the file transport. */
  file?: string;
}

/** Sends messages; `description` names where they go, without secrets, for logs. */
export interface MailTransport {
  readonly description: string;
  send(mail: OutgoingMail, deliveryId: string): Promise<SentMail>;
  close(): void;
}

export interface MailTransportSettings {
  /** `smtp://user:password@host:port` or `smtps://…`; without it, messages go to `.eml` files. */
  smtpUrl?: string | null;
  /** The data folder; `.eml` files go to its `mail` subfolder. */
  dataDir: string;
}

/** Picks the transport the settings ask for: SMTP when an SMTP URL is set, else `.eml` files under `<dataDir>/mail`. */
export function createMailTransport(settings: MailTransportSettings): MailTransport {
  if (settings.smtpUrl) return smtpTransport(settings.smtpUrl);
  return emlFileTransport(join(settings.dataDir, 'mail'));
}

// Nodemailer waits up to 2 minutes to connect and 10 minutes on an idle
// socket by default. A stuck server would hold a delivery that long, so the
// waits are shorter, and a failed attempt is retried by the outbox instead.
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

/** Sends over SMTP through a pool of connections; `url` is checked here and never logged with its password. */
export function smtpTransport(url: string): MailTransport {
  const description = redactSmtpUrl(url);
  const transporter = nodemailer.createTransport({ url, pool: true, ...SMTP_TIMEOUTS });
  return {
    description,
    async send(mail) {
      const info = await transporter.sendMail(messageOf(mail));
      return { messageId: info.messageId };
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * Writes each message as an RFC 822 file `<time>-<delivery id>.eml` in
 * `folder` instead of sending it, so a server without SMTP settings still
 * shows what would have gone out. Any mail program opens these files.
 */
export function emlFileTransport(folder: string, clock: Clock = systemClock): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    description: `.eml files in ${folder}`,
    async send(mail, deliveryId) {
      const info = await transporter.sendMail(messageOf(mail));
      await mkdir(folder, { recursive: true });
      const file = join(folder, `${fileTime(clock())}-${safeFileName(deliveryId)}.eml`);
      await writeFile(file, info.message as Buffer);
      return { messageId: info.messageId, file };
    },
    close() {
      transporter.close();
    },
  };
}

/**
 * Returns an SMTP URL fit for logs: the password replaced by `***`. Throws
 * when the URL is not an smtp:// or smtps:// URL, without repeating it,
 * because a malformed URL cannot be redacted reliably.
 */
export function redactSmtpUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('RESTOCK_SMTP_URL is not a valid URL; write it as smtp://user:password@host:port or smtps://user:password@host:port.');
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`RESTOCK_SMTP_URL must start with smtp:// or smtps://, not ${parsed.protocol}//.`);
  }
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}

function messageOf(mail: OutgoingMail) {
  return {
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    messageId: mail.messageId,
    // One-click unsubscribe (RFC 8058): mail programs POST to the link, which the unsubscribe page accepts.
    ...(mail.unsubscribe
      ? { list: { unsubscribe: mail.unsubscribe }, headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }
      : {}),
  };
}

/** Returns an instant as file-name text that sorts in time order and has no colons: `2026-03-02T12-00-00.000Z`. */
function fileTime(instant: Date): string {
  return instant.toISOString().replace(/:/g, '-');
}

function safeFileName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}
