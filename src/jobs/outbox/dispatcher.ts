import type { Selectable } from 'kysely';
import type { DeliveryTable } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { DEFAULT_BACKOFF, retryDelayMillis, type BackoffOptions } from './backoff.js';
import type { Channel, OutboxEvent, SendResult } from './channel.js';
import { claimDue, recordOutcome, type Outcome } from './claim.js';
import { oldestUndispatched, planBatch, setAsideEvent } from './plan.js';
import { toClaimedDelivery, toOutboxEvent } from './rows.js';

/** The log calls the dispatcher makes; a pino logger fits. */
export interface DispatchLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface DispatcherOptions {
  /** The channels that plan and send deliveries. The constructor rejects two channels with one name. */
  channels: readonly Channel[];
  logger?: DispatchLogger;
  /** Events planned per transaction; default 100. */
  planBatchSize?: number;
  /** Deliveries claimed per transaction; default 50. */
  sendBatchSize?: number;
  /** Sends in flight at once within a claimed batch; default 8. */
  concurrency?: number;
  /** Attempts after which a failing delivery goes dead; default 10. */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** How long a claim reserves a delivery, in milliseconds; default 2 minutes, above the webhook timeout (10 s) and the SMTP timeouts. */
  leaseMillis?: number;
  /** The random source of the backoff jitter, in [0, 1); Math.random by default. */
  random?: () => number;
}

export interface PassResult {
  /** Events whose deliveries were planned. */
  planned: number;
  /** Attempts made, whatever their outcome. */
  attempted: number;
  delivered: number;
  retried: number;
  dead: number;
}

/** Claimed batches per pass at most, so a pass ends and a stop request is seen even under a flood of work. */
const MAX_BATCHES_PER_PASS = 100;
const MAX_ERROR_LENGTH = 500;

const silentLogger: DispatchLogger = { info() {}, warn() {}, error() {} };

/**
 * Delivers the outbox: plans each new event's deliveries, then sends the due
 * ones, retrying failures with backoff until they are delivered or dead.
 * Time comes from the store's clock. Several dispatchers may share one
 * database; each delivery is attempted by one of them at a time.
 */
export class Dispatcher {
  private readonly channels: ReadonlyMap<string, Channel>;
  private readonly logger: DispatchLogger;
  private readonly planBatchSize: number;
  private readonly sendBatchSize: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly leaseMillis: number;
  private readonly random: () => number;

  constructor(
    readonly store: Store,
    options: DispatcherOptions,
  ) {
    this.channels = new Map(options.channels.map((channel) => [channel.name, channel]));
    if (this.channels.size !== options.channels.length) throw new Error('Dispatcher channels must have distinct names; pass each channel once.');
    this.logger = options.logger ?? silentLogger;
    this.planBatchSize = options.planBatchSize ?? 100;
    this.sendBatchSize = options.sendBatchSize ?? 50;
    this.concurrency = options.concurrency ?? 8;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.leaseMillis = options.leaseMillis ?? 120_000;
    this.random = options.random ?? Math.random;
  }

  /** Plans every undispatched event, then attempts every due delivery once. */
  async runPass(): Promise<PassResult> {
    const result: PassResult = { planned: 0, attempted: 0, delivered: 0, retried: 0, dead: 0 };
    result.planned = await this.planAll();
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch += 1) {
      const sent = await this.sendBatch();
      for (const key of ['attempted', 'delivered', 'retried', 'dead'] as const) result[key] += sent[key];
      if (sent.attempted < this.sendBatchSize) break;
    }
    return result;
  }

  /**
   * Plans undispatched events batch by batch until none is left; returns how
   * many were planned. When a batch fails, its oldest event is planned alone,
   * and set aside if it fails alone too, so one event that cannot be planned
   * never holds up the rest.
   */
  async planAll(): Promise<number> {
    let planned = 0;
    for (;;) {
      let size = this.planBatchSize;
      let batch;
      try {
        batch = await planBatch(this.store, [...this.channels.values()], size);
      } catch (error) {
        size = 1;
        batch = await this.planOldestAlone(error);
      }
      planned += batch.events;
      if (batch.events > 0) this.logger.info({ events: batch.events, deliveries: batch.deliveries }, 'planned event deliveries');
      if (batch.events < size) return planned;
    }
  }

  private async planOldestAlone(batchError: unknown): Promise<{ events: number; deliveries: number }> {
    try {
      return await planBatch(this.store, [...this.channels.values()], 1);
    } catch (error) {
      const eventId = await oldestUndispatched(this.store);
      if (eventId === undefined) throw batchError;
      const message = (error instanceof Error ? error.message : String(error)).slice(0, MAX_ERROR_LENGTH);
      await setAsideEvent(this.store, eventId, message);
      this.logger.error({ event: eventId, error: message }, 'event set aside: its deliveries could not be planned');
      return { events: 1, deliveries: 0 };
    }
  }

  /** Claims one batch of due deliveries and attempts each once. */
  async sendBatch(): Promise<Omit<PassResult, 'planned'>> {
    const claim = await claimDue(this.store, [...this.channels.keys()], this.sendBatchSize, this.leaseMillis);
    const counts = { attempted: claim.rows.length, delivered: 0, retried: 0, dead: 0 };
    if (claim.rows.length === 0) return counts;

    const events = await this.loadEvents(claim.rows.map((row) => row.event_id));
    const queue = [...claim.rows];
    const sendNext = async (): Promise<void> => {
      for (let row = queue.shift(); row !== undefined; row = queue.shift()) {
        const outcome = await this.attempt(row, events.get(row.event_id));
        await this.record(row, claim.lockedUntil, outcome);
        counts[outcome.kind === 'retry' ? 'retried' : outcome.kind] += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, sendNext));
    return counts;
  }

  private async loadEvents(ids: string[]): Promise<Map<string, OutboxEvent>> {
    const rows = await this.store.db.selectFrom('events').selectAll().where('id', 'in', [...new Set(ids)]).execute();
    return new Map(rows.map((row) => [row.id, toOutboxEvent(row)]));
  }

  /** Sends one claimed delivery and decides what comes next; a thrown error is a failed attempt. */
  private async attempt(row: Selectable<DeliveryTable>, event: OutboxEvent | undefined): Promise<Outcome> {
    const channel = this.channels.get(row.channel);
    if (!channel || !event) return { kind: 'dead', status: null, error: `Event ${row.event_id} or channel ${row.channel} no longer exists.` };

    let result: SendResult;
    try {
      result = await channel.send(toClaimedDelivery(row), event, this.store.db);
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    return this.outcomeOf(row, result);
  }

  private outcomeOf(row: Selectable<DeliveryTable>, result: SendResult): Outcome {
    const status = result.status ?? null;
    if (result.ok) return { kind: 'delivered', status };

    const error = (result.error ?? (status === null ? 'The send failed.' : `HTTP ${status}`)).slice(0, MAX_ERROR_LENGTH);
    if (result.permanent || row.attempts >= this.maxAttempts) return { kind: 'dead', status, error };

    const delay = retryDelayMillis(row.attempts, this.backoff, this.random);
    const nextAttemptAt = new Date(this.store.clock().getTime() + delay).toISOString();
    return { kind: 'retry', status, error, nextAttemptAt };
  }

  private async record(row: Selectable<DeliveryTable>, lockedUntil: string, outcome: Outcome): Promise<void> {
    const stored = await recordOutcome(this.store, row.id, lockedUntil, outcome);
    const fields = {
      delivery: row.id,
      event: row.event_id,
      channel: row.channel,
      endpoint: row.endpoint_id ?? undefined,
      template: row.template ?? undefined,
      attempt: row.attempts,
      status: outcome.status ?? undefined,
    };
    if (!stored) {
      this.logger.warn(fields, 'delivery lease expired before its outcome was stored; another worker may send it again');
    } else if (outcome.kind === 'retry') {
      this.logger.warn({ ...fields, error: outcome.error, next_attempt_at: outcome.nextAttemptAt }, 'delivery failed; will retry');
    } else if (outcome.kind === 'dead') {
      this.logger.error({ ...fields, error: outcome.error }, 'delivery is dead: no more attempts; retry it with POST /v1/deliveries/{id}/retry');
    }
  }
}
