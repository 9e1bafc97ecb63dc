import type { DaemonContext, Database, HealthState } from '@goldpdv/core';
import { runCaptureRound, type RoundResult } from './capture/capture-round.js';
import { CaptureStore } from './capture/capture-store.js';
import { sweepStatements } from './capture/sweep-sql.js';
import { Sweep, type SweepOptions } from './capture/sweep.js';
import type { EventsModel } from './declaration/events-model.js';
import { applyEventsScript } from './generate/events-script.js';
import { SQL_TEXT } from './generate/sql-text.js';
import { catalogProblems, readColumnCatalog, type ColumnCatalog } from './payload/column-catalog.js';
import { payloadStatements, type PayloadStatements } from './payload/payload-sql.js';

type Logger = DaemonContext<unknown>['logger'];

export interface OutboxEventsOptions {
  /** Apply the declaration's script through the schema runner (DB_SCHEMA_AUTO_APPLY); else a DBA runs it. */
  autoApply: boolean;
  /** Captures per round. */
  batchSize: number;
  /** null: no sweep (PUSH_SWEEP_INTERVAL_MS=0). */
  sweep: SweepOptions | null;
  schemaTimeoutMs: number;
  /** How long to wait before checking again a declaration that did not fit the database. */
  retryMs?: number;
}

const HEALTH_COMPONENT = 'outbox-events';

/**
 * The declared events on this PDV: checks the declaration against the local catalog, installs its triggers
 * (or checks that a DBA did), and then turns captures into outbox events round after round. While the
 * declaration does not fit the database, captures wait in sync_capture (nothing is lost), the events already in
 * the outbox keep going up, and health shows `outbox-events` degraded with the reason; it is checked again
 * every minute, so that fixing the database (or the triggers) needs no restart.
 */
export class OutboxEvents {
  private readonly store: CaptureStore;
  private ready: { catalog: ColumnCatalog; payloads: Map<string, PayloadStatements>; sweep: Sweep | null } | null = null;
  private retryAt = 0;
  private lastProblem = '';

  constructor(
    private readonly db: Database,
    readonly model: EventsModel,
    private readonly options: OutboxEventsOptions,
    private readonly logger: Logger,
    private readonly health: HealthState,
  ) {
    this.store = new CaptureStore(db);
  }

  get sweep(): Sweep | null {
    return this.ready?.sweep ?? null;
  }

  /** The declared tables' column types, once the declaration fits the database. */
  get catalog(): ColumnCatalog | null {
    return this.ready?.catalog ?? null;
  }

  /** One round, once the declaration is in place; null while it is not. */
  async runRound(): Promise<RoundResult | null> {
    if (this.ready === null && !(await this.prepare())) return null;
    return runCaptureRound(this.db, this.store, this.model, this.ready!.payloads, this.ready!.sweep, { batchSize: this.options.batchSize, logger: this.logger });
  }

  private async prepare(): Promise<boolean> {
    if (Date.now() < this.retryAt) return false;
    const catalog = await readColumnCatalog(this.db, this.model);
    const problems = catalogProblems(this.model, catalog);
    if (problems.length === 0 && this.options.autoApply) {
      const applied = await applyEventsScript(this.db, this.model, { logger: this.logger, timeoutMs: this.options.schemaTimeoutMs, onProgress: () => this.health.beat() });
      if (applied) this.logger.info({ declaration: this.model.hash, events: this.model.events.map((e) => e.type) }, 'outbox event triggers installed');
    }
    if (problems.length === 0) {
      const installed = await this.store.installedDeclaration();
      if (installed !== this.model.hash) {
        problems.push(
          installed === null
            ? 'no capture triggers are installed: apply the script of `node dist/cli.js outbox-triggers print` (or set DB_SCHEMA_AUTO_APPLY=true)'
            : `the installed capture triggers are of another declaration (${installed.slice(0, 16)}, this one is ${this.model.hash.slice(0, 16)}): apply the script of \`node dist/cli.js outbox-triggers print\``,
        );
      }
    }
    if (problems.length > 0) {
      this.retryAt = Date.now() + (this.options.retryMs ?? 60_000);
      const summary = problems.join('; ');
      if (summary !== this.lastProblem) {
        for (const problem of problems) this.logger.error({ file: this.model.file, problem }, 'the events declaration does not fit this database; captures wait until it does');
      }
      this.lastProblem = summary;
      this.health.setDegraded(HEALTH_COMPONENT, summary.slice(0, 500));
      return false;
    }
    const text = SQL_TEXT[this.db.dialect];
    this.ready = {
      catalog,
      payloads: new Map(this.model.events.map((event) => [event.type, payloadStatements(event, catalog, text)])),
      sweep: this.options.sweep === null ? null : new Sweep(this.model.sources.map((source) => sweepStatements(source, text)), this.options.sweep),
    };
    this.health.clearDegraded(HEALTH_COMPONENT);
    if (this.lastProblem !== '') this.logger.info({}, 'the events declaration fits the database again; captures are turned into events');
    return true;
  }
}
