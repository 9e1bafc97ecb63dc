import type { DaemonContext, Database, DaemonEnv, HealthState, HttpClient } from '@goldpdv/core';
import type { z } from 'zod';
import type { pushEnv } from '../config.js';
import type { EventsModel } from './declaration/events-model.js';
import { RoundConflictError } from './capture/capture-store.js';
import { OutboxEvents } from './outbox-events.js';
import { ReconcileJob } from './reconcile/reconcile-job.js';

type Logger = DaemonContext<unknown>['logger'];

type PushConfig = DaemonEnv & z.infer<z.ZodObject<typeof pushEnv>>;

/** How long one cycle keeps turning captures into events under a backlog before it sends. */
const ROUND_SPELL_MS = 1_000;

/**
 * The events side of a push cycle: captures become outbox events (OutboxEvents), and the sales are compared with
 * the central API's when that is due (ReconcileJob). Neither ever stops the sending of what the outbox holds: a
 * failure is logged, shown in health, and tried again next cycle.
 */
export class EventsHousekeeping {
  private readonly events: OutboxEvents;
  private reconcile: ReconcileJob | null = null;
  /** The first comparison comes one interval after the start, once the outbox has had time to drain. */
  private lastReconcileAt = Date.now();
  private capturesFailing = false;

  constructor(
    private readonly db: Database,
    readonly model: EventsModel,
    private readonly config: PushConfig,
    private readonly deps: { http: HttpClient; logger: Logger; health: HealthState },
  ) {
    this.events = new OutboxEvents(
      db,
      model,
      {
        autoApply: config.DB_SCHEMA_AUTO_APPLY,
        batchSize: config.PUSH_CAPTURE_BATCH,
        sweep: config.PUSH_SWEEP_INTERVAL_MS === 0 ? null : { intervalMs: config.PUSH_SWEEP_INTERVAL_MS, pageRows: config.PUSH_SWEEP_PAGE_ROWS },
        schemaTimeoutMs: config.DB_SCHEMA_TIMEOUT_MS,
      },
      deps.logger,
      deps.health,
    );
  }

  /** Returns true when captures are still waiting (the cycle should come round again soon). */
  async runCycle(signal: AbortSignal): Promise<boolean> {
    const more = await this.runRounds(signal);
    await this.reconcileWhenDue();
    return more;
  }

  private async runRounds(signal: AbortSignal): Promise<boolean> {
    const until = Date.now() + ROUND_SPELL_MS;
    try {
      let swept = 0;
      let result = await this.events.runRound();
      swept += result?.swept ?? 0;
      while (result?.more && !signal.aborted && Date.now() < until) {
        result = await this.events.runRound();
        swept += result?.swept ?? 0;
      }
      if (this.capturesFailing) this.deps.logger.info({}, 'captures are turned into events again');
      this.capturesFailing = false;
      const sweep = this.events.sweep;
      this.deps.health.setInfo('sweepPasses', sweep?.passes ?? 0);
      if (swept > 0) this.deps.health.setInfo('lastSweptEventAt', new Date().toISOString());
      return result?.more ?? false;
    } catch (error) {
      // Another push-service process recorded a round on the same aggregates first: this one is simply redone.
      if (error instanceof RoundConflictError) {
        this.deps.logger.debug({ err: error }, 'capture round redone: another round moved its aggregates first');
        return true;
      }
      // Captures stay in sync_capture: nothing is lost, and the next cycle tries again.
      if (!this.capturesFailing) this.deps.logger.error({ err: error }, 'could not turn captures into outbox events; they wait in sync_capture and are tried again');
      this.capturesFailing = true;
      this.deps.health.setDegraded('outbox-events', `captures not processed: ${(error as Error).message}`.slice(0, 500));
      return false;
    }
  }

  private async reconcileWhenDue(): Promise<void> {
    const interval = this.config.PUSH_RECONCILE_INTERVAL_MS;
    // In per-event mode the events go to an endpoint of the adopter's, which need not answer GET /v1/reconciliation.
    if (interval === 0 || this.config.PUSH_MODE !== 'batch' || this.model.reconciliation === null || Date.now() - this.lastReconcileAt < interval) return;
    const catalog = this.events.catalog;
    if (catalog === null) return;
    this.lastReconcileAt = Date.now();
    this.reconcile ??= new ReconcileJob(this.db, this.model.reconciliation, catalog, { http: this.deps.http, baseUrl: this.config.CENTRAL_API_URL, token: this.config.CENTRAL_API_TOKEN });
    try {
      const result = await this.reconcile.run({ days: this.config.PUSH_RECONCILE_DAYS });
      const differing = result.reconciliation.days.filter((day) => day.matches === false);
      if (result.centralError !== null) this.deps.logger.warn({ from: result.from, to: result.to, problem: result.centralError }, 'reconciliation: the central API did not give its figures');
      for (const day of differing) {
        this.deps.logger.warn(
          { day: day.day, local: day.local, central: day.central, difference: day.difference },
          'reconciliation: the sales of this day differ from the central API\'s (events still in the outbox or in sync_capture account for a difference that goes away once they are sent)',
        );
      }
      this.deps.health.setInfo('reconciledAt', new Date().toISOString());
      this.deps.health.setInfo('reconciliationDaysDiffering', differing.length);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'reconciliation failed; tried again at the next interval');
    }
  }
}
