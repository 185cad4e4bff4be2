import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/jobs/webhooks/signature.js';

export interface ReceivedPost {
  eventId: string;
  body: any;
  headers: IncomingHttpHeaders;
  /** Whether the Restock-Signature header verified against the raw body, at the time `now()` gave. */
  verified: boolean;
  /** The status the receiver responded with. */
  status: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every POST, in arrival order, repeats included. */
  posts: ReceivedPost[];
  /** Event ids passed to the handler, each once. A repeat of an acknowledged id gets 200 and is dropped. */
  handled: string[];
  /** Sets the status of the next responses. A failing status is returned before the handler runs. */
  respondWith(status: number): void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** The signing secret of the endpoint; read lazily because the endpoint is created after the receiver listens. */
  secret: () => string;
  /** The current time for signature checks: the test store's clock. */
  now: () => Date;
  /** Attempts per event id that get 500 before the receiver accepts it; default 0. */
  failFirst?: number;
}

/**
 * A webhook receiver on 127.0.0.1 written as an integrator would: it
 * verifies the signature, responds with a failure status on request, and
 * deduplicates by event id so its handler sees each event once.
 */
export async function startWebhookReceiver(options: ReceiverOptions): Promise<WebhookReceiver> {
  const posts: ReceivedPost[] = [];
  const handled: string[] = [];
  const handledIds = new Set<string>();
  const attemptsById = new Map<string, number>();
  let forcedStatus: number | null = null;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const eventId = String(request.headers['restock-event-id']);
      const verified = verifySignature(options.secret(), request.headers['restock-signature'] as string | undefined, raw, options.now());
      const attempt = (attemptsById.get(eventId) ?? 0) + 1;
      attemptsById.set(eventId, attempt);

      let status = 200;
      if (!verified) status = 400;
      else if (forcedStatus !== null) status = forcedStatus;
      else if (attempt <= (options.failFirst ?? 0)) status = 500;
      posts.push({ eventId, body: JSON.parse(raw), headers: request.headers, verified, status });

      if (status === 200 && !handledIds.has(eventId)) {
        handledIds.add(eventId);
        handled.push(eventId);
      }
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'failed');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks/restock`,
    posts,
    handled,
    respondWith(status) {
      forcedStatus = status === 200 ? null : status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
