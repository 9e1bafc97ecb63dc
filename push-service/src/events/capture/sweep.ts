import type { Queryable } from '@goldpdv/core';
import { parseKeyText } from '../payload/payload-builder.js';
import type { SweepStatements } from './sweep-sql.js';
import type { Observation } from './transitions.js';

export interface SweepOptions {
  /** Source rows read per step (one step per capture round while a pass runs). */
  pageRows: number;
  /** Pause between the end of one pass over every table and the start of the next. */
  intervalMs: number;
}

/** One step's findings; `advance()` moves the cursor past them once the round that used them is recorded. */
export interface SweepStep {
  observations: Observation[];
  advance(): void;
}

/**
 * The reconciliation sweep: walks every declared source table in key order, a page per step, and reports the
 * rows whose event the capture never saw (a bulk load, bcp or SqlBulkCopy without FIRE_TRIGGERS, a disabled
 * trigger, a DBA's UPDATE with the triggers off). A pass covers every table; passes start every `intervalMs`.
 * Its cursor lives in memory: a restart starts a new pass, which finds nothing twice (what it found is recorded
 * in sync_event_state with the events it made).
 */
export class Sweep {
  private readonly cursors: ((number | string)[] | null)[];
  private sourceIndex = 0;
  private nextPassAt = 0;
  passes = 0;
  lastPassEndedAt: number | null = null;

  constructor(private readonly statements: readonly SweepStatements[], private readonly options: SweepOptions) {
    this.cursors = statements.map(() => null);
  }

  due(now = Date.now()): boolean {
    return this.statements.length > 0 && now >= this.nextPassAt;
  }

  async step(db: Queryable): Promise<SweepStep> {
    const index = this.sourceIndex;
    const statements = this.statements[index]!;
    const key = statements.source.key;
    const cursor = this.cursors[index]!;
    const page = await db.query<{ key_text: string | null }>(cursor === null ? statements.pageFirst : statements.pageAfter, [this.options.pageRows, ...(cursor ?? [])]);
    const keys = page.rows.map((row) => (row.key_text === null ? null : parseKeyText(row.key_text, key)));
    const last = [...keys].reverse().find((k) => k !== null) ?? null;
    const observations: Observation[] = [];
    if (last !== null) {
      const { rows } = await db.query<{ key_text: string | null; status: string | null; last_status: string | null; transitions: unknown }>(
        cursor === null ? statements.candidatesFirst : statements.candidatesAfter,
        [...last, ...(cursor ?? [])],
      );
      for (const row of rows) {
        if (row.key_text === null) continue;
        observations.push({
          sourceId: statements.source.id,
          keyText: row.key_text,
          status: row.status,
          seenState: row.transitions === null || row.transitions === undefined ? null : { lastStatus: row.last_status, transitions: Number(row.transitions) },
        });
      }
    }
    const endOfTable = page.rows.length < this.options.pageRows || last === null;
    return {
      observations,
      advance: () => {
        if (!endOfTable) {
          this.cursors[index] = last;
          return;
        }
        this.cursors[index] = null;
        this.sourceIndex = (index + 1) % this.statements.length;
        if (this.sourceIndex === 0) {
          this.passes += 1;
          this.lastPassEndedAt = Date.now();
          this.nextPassAt = Date.now() + this.options.intervalMs;
        }
      },
    };
  }
}
