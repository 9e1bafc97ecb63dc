import { TransientError, type Database, type DialectName, type Queryable } from '@goldpdv/core';
import * as mssql from './capture-sql.mssql.js';
import * as postgres from './capture-sql.postgres.js';
import { stateKey, type AggregateState, type Capture, type StateWrite } from './transitions.js';

type CaptureStatements = Record<keyof typeof mssql, string>;
const STATEMENTS: Record<DialectName, CaptureStatements> = { mssql, postgres };

/** An event ready for the outbox. */
export interface OutboxEventRow {
  eventId: string;
  eventType: string;
  streamKey: string;
  payload: string;
}

/** An event whose payload could not be built: it goes to the dead letters with its reason. */
export interface UnbuiltEventRow extends OutboxEventRow {
  reason: string;
}

/** A round's state writes did not apply: another round moved an aggregate first. Nothing was recorded. */
export class RoundConflictError extends TransientError {
  constructor(detail: string) {
    super(`capture round not recorded: ${detail}; it is done again from the captures`, { context: { detail } });
  }
}

const MAX_REASON = 1_900;

/** The capture tables of one database (sync_capture, sync_event_state, sync_installation...), one method each. */
export class CaptureStore {
  private readonly sql: CaptureStatements;

  constructor(private readonly db: Database) {
    this.sql = STATEMENTS[db.dialect];
  }

  async installationId(): Promise<string> {
    const { rows } = await this.db.query<{ installation_id: string }>(this.sql.readInstallation);
    if (!rows[0]) throw new TransientError('sync_installation is empty: the PDV schema (pdv/0011_event_capture.sql) has not been applied yet');
    return rows[0].installation_id.toLowerCase();
  }

  async renewInstallation(): Promise<string> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ installation_id: string }>(this.sql.renewInstallation);
      return rows[0]!.installation_id.toLowerCase();
    });
  }

  /** The hash of the declaration whose triggers are installed, or null before the first events script. */
  async installedDeclaration(): Promise<string | null> {
    const { rows } = await this.db.query<{ declaration_hash: string }>(this.sql.readInstalledDeclaration);
    return rows[0]?.declaration_hash.trim() ?? null;
  }

  async readCaptures(limit: number): Promise<Capture[]> {
    const { rows } = await this.db.query<{ capture_id: unknown; source_name: string; key_text: string | null; op: string; new_status: string | null }>(this.sql.readCaptures, [limit]);
    return rows.map((row) => ({
      captureId: String(row.capture_id),
      sourceId: row.source_name,
      keyText: row.key_text,
      op: row.op.trim() === 'I' ? 'I' : 'U',
      newStatus: row.new_status,
    }));
  }

  async readStates(keys: readonly { sourceId: string; keyText: string }[]): Promise<Map<string, AggregateState>> {
    const states = new Map<string, AggregateState>();
    if (keys.length === 0) return states;
    const { rows } = await this.db.query<{ source_name: string; key_text: string; last_status: string | null; transitions: unknown }>(this.sql.readStates, [
      JSON.stringify(keys.map((k) => ({ s: k.sourceId, k: k.keyText }))),
    ]);
    for (const row of rows) states.set(stateKey(row.source_name, row.key_text), { lastStatus: row.last_status, transitions: Number(row.transitions) });
    return states;
  }

  /**
   * Records a round in one transaction: the captures it consumed are deleted, the aggregates' states move (only
   * from the states the round read, or nothing is recorded), the events join the outbox in order and the unbuilt
   * ones go on to the dead letters. A crash anywhere leaves the captures in place, and the round is done again
   * with the same event ids.
   */
  async recordRound(round: { captureIds: readonly string[]; states: readonly StateWrite[]; events: readonly OutboxEventRow[]; unbuilt: readonly UnbuiltEventRow[] }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ result: unknown }>(this.sql.lockRounds);
      if (tx.dialect === 'mssql' && Number(rows[0]?.result) < 0) throw new TransientError(`another capture round holds its lock (sp_getapplock ${String(rows[0]?.result)})`);
      if (round.captureIds.length > 0) {
        const deleted = await tx.query(this.sql.deleteCaptures, [JSON.stringify(round.captureIds.map(Number))]);
        if (deleted.rowCount !== round.captureIds.length) throw new RoundConflictError(`${round.captureIds.length - deleted.rowCount} of its captures were consumed by another round`);
      }
      await this.writeStates(tx, round.states);
      const events = [...round.events, ...round.unbuilt];
      if (events.length > 0) {
        await tx.query(this.sql.insertEvents, [JSON.stringify(events.map((e, ord) => ({ id: e.eventId, type: e.eventType, stream: e.streamKey, payload: e.payload, ord })))]);
      }
      if (round.unbuilt.length > 0) {
        await tx.query(this.sql.moveUnbuilt, [JSON.stringify(round.unbuilt.map((e) => ({ id: e.eventId, reason: e.reason.slice(0, MAX_REASON) })))]);
      }
    });
  }

  private async writeStates(tx: Queryable, states: readonly StateWrite[]): Promise<void> {
    const updates = states.filter((s) => s.before !== null);
    const inserts = states.filter((s) => s.before === null);
    if (updates.length > 0) {
      const param = updates.map((s) => ({ s: s.sourceId, k: s.keyText, status: s.after.lastStatus, n: s.after.transitions, wasStatus: s.before!.lastStatus, wasN: s.before!.transitions }));
      const updated = await tx.query(this.sql.updateStates, [JSON.stringify(param)]);
      if (updated.rowCount !== updates.length) throw new RoundConflictError('an aggregate state changed while the round was built');
    }
    // A row another round inserted meanwhile makes this insert fail on the primary key: the round is redone.
    if (inserts.length > 0) {
      await tx.query(this.sql.insertStates, [JSON.stringify(inserts.map((s) => ({ s: s.sourceId, k: s.keyText, status: s.after.lastStatus, n: s.after.transitions })))]);
    }
  }

  /** Dead letters whose payload was never built (all, or the one with this event id). */
  async listUnbuilt(eventId: string | null): Promise<OutboxEventRow[]> {
    const { rows } = await this.db.query<{ event_id: string; event_type: string; payload: string }>(this.sql.readUnbuilt, [eventId]);
    return rows.map((row) => ({ eventId: row.event_id.toLowerCase(), eventType: row.event_type, streamKey: '', payload: row.payload }));
  }

  /** Puts a rebuilt event back into the outbox under its id, in place of its dead letter. */
  async requeueRebuilt(event: OutboxEventRow): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(this.sql.requeueRebuilt, [event.eventId, event.eventType, event.streamKey, event.payload]);
    });
  }
}
