import type { Queryable } from '@goldpdv/core';

/** What the token lookup needs of a PDV. */
export interface PdvRow {
  pdv_id: string;
  loja_id: number | string;
  active: boolean | number;
  token_hash: string;
}

/** An active PDV and the hash of its current token. */
export interface ActiveToken {
  tokenHash: string;
  pdvId: string;
  lojaId: number;
}

/** A PDV as the registry holds it (the token itself is never stored, only its sha256). */
export interface PdvRecord {
  pdvId: string;
  lojaId: number;
  active: boolean;
  label: string | null;
  createdAt: Date | null;
  /** When the current token was issued (pdv add, pdv rotate-token, PDV_TOKENS). */
  tokenIssuedAt: Date | null;
  /** The latest request this PDV made, as the replicas last wrote it (coalesced: up to PDV_LAST_SEEN_INTERVAL_MS old). */
  lastSeenAt: Date | null;
}

/** One PDV's latest request, as a replica saw it. */
export interface LastSeen {
  pdvId: string;
  seenAt: Date;
}

/**
 * The PDV registry (sync_pdv). One store per dialect (pdv-store.postgres.ts, pdv-store.mssql.ts), chosen once
 * when the server starts or the admin command runs (dialect-stores.ts).
 */
export interface PdvStore {
  findByTokenHash(db: Queryable, tokenHash: string): Promise<PdvRow | undefined>;
  /** Every active PDV's token hash: one read that revalidates a whole token cache at once. */
  listActiveTokens(db: Queryable): Promise<ActiveToken[]>;
  lojaExists(db: Queryable, lojaId: number): Promise<boolean>;
  /** Inserts the PDV, or re-points an existing one at this loja and token and re-activates it (PDV_TOKENS). */
  upsert(db: Queryable, pdv: { pdvId: string; lojaId: number; tokenHash: string }): Promise<void>;
  /** The PDV, its row locked until the transaction ends (so two admin commands on one PDV run one after the other). */
  lockById(tx: Queryable, pdvId: string): Promise<PdvRecord | undefined>;
  listAll(db: Queryable): Promise<PdvRecord[]>;
  insert(tx: Queryable, pdv: { pdvId: string; lojaId: number; tokenHash: string; label: string | null }): Promise<void>;
  setActive(tx: Queryable, pdvId: string, active: boolean): Promise<void>;
  replaceToken(tx: Queryable, pdvId: string, tokenHash: string): Promise<void>;
  moveToLoja(tx: Queryable, pdvId: string, lojaId: number): Promise<void>;
  /** One statement for every PDV seen since the last write; a time never moves backwards (several replicas write). */
  recordLastSeen(db: Queryable, seen: readonly LastSeen[]): Promise<void>;
}

/** The registry statements of one dialect. Parameters are positional in both, so the logic below serves both. */
export interface PdvStatements {
  /** (token_hash) -> pdv_id, loja_id, active, token_hash */
  findByTokenHash: string;
  /** () -> pdv_id, loja_id, token_hash of every active PDV */
  listActiveTokens: string;
  /** (loja_id) -> one row when the loja exists */
  lojaExists: string;
  /** (pdv_id, loja_id, token_hash) */
  upsert: string;
  /** (pdv_id) -> one RegistryRow, locked for the transaction */
  lockById: string;
  /** () -> every RegistryRow, by loja then PDV */
  listAll: string;
  /** (pdv_id, loja_id, token_hash, label) */
  insert: string;
  /** (pdv_id, active) */
  setActive: string;
  /** (pdv_id, token_hash) */
  replaceToken: string;
  /** (pdv_id, loja_id) */
  moveToLoja: string;
  /** (JSON array of {"pdv_id", "seen_at"}, seen_at as UTC "YYYY-MM-DDTHH:MM:SS.mmm") */
  recordLastSeen: string;
}

interface RegistryRow {
  pdv_id: string;
  loja_id: number | string;
  active: boolean | number;
  label: string | null;
  created_at: Date | string | null;
  token_issued_at: Date | string | null;
  last_seen_at: Date | string | null;
}

export function pdvStoreOf(sql: PdvStatements): PdvStore {
  return {
    async findByTokenHash(db, tokenHash) {
      return (await db.query<PdvRow>(sql.findByTokenHash, [tokenHash])).rows[0];
    },
    async listActiveTokens(db) {
      const { rows } = await db.query<Omit<PdvRow, 'active'>>(sql.listActiveTokens);
      // char(64) comes back padded by some collations and drivers: trimmed and lower-cased, as tokenHash writes it.
      return rows.map((row) => ({ tokenHash: row.token_hash.trim().toLowerCase(), pdvId: row.pdv_id, lojaId: Number(row.loja_id) }));
    },
    async lojaExists(db, lojaId) {
      return (await db.query(sql.lojaExists, [lojaId])).rows.length > 0;
    },
    async upsert(db, pdv) {
      await db.query(sql.upsert, [pdv.pdvId, pdv.lojaId, pdv.tokenHash]);
    },
    async lockById(tx, pdvId) {
      const row = (await tx.query<RegistryRow>(sql.lockById, [pdvId])).rows[0];
      return row === undefined ? undefined : recordOf(row);
    },
    async listAll(db) {
      return (await db.query<RegistryRow>(sql.listAll)).rows.map(recordOf);
    },
    async insert(tx, pdv) {
      await tx.query(sql.insert, [pdv.pdvId, pdv.lojaId, pdv.tokenHash, pdv.label]);
    },
    async setActive(tx, pdvId, active) {
      await tx.query(sql.setActive, [pdvId, active]);
    },
    async replaceToken(tx, pdvId, tokenHash) {
      await tx.query(sql.replaceToken, [pdvId, tokenHash]);
    },
    async moveToLoja(tx, pdvId, lojaId) {
      await tx.query(sql.moveToLoja, [pdvId, lojaId]);
    },
    async recordLastSeen(db, seen) {
      if (seen.length === 0) return;
      // Without a zone designator: datetime2 (SQL Server) reads it as is, and both columns hold UTC.
      const rows = seen.map((entry) => ({ pdv_id: entry.pdvId, seen_at: entry.seenAt.toISOString().slice(0, 23) }));
      await db.query(sql.recordLastSeen, [JSON.stringify(rows)]);
    },
  };
}

function recordOf(row: RegistryRow): PdvRecord {
  return {
    pdvId: row.pdv_id,
    lojaId: Number(row.loja_id),
    active: row.active === true || row.active === 1,
    label: row.label,
    createdAt: dateOf(row.created_at),
    tokenIssuedAt: dateOf(row.token_issued_at),
    lastSeenAt: dateOf(row.last_seen_at),
  };
}

function dateOf(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
