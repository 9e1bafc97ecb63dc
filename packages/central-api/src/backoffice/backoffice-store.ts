import type { DialectName, Queryable } from '@goldpdv/core';
import { MSSQL_BACKOFFICE_SQL } from './backoffice-store.mssql.js';
import { POSTGRES_BACKOFFICE_SQL } from './backoffice-store.postgres.js';

/** A stored answer to an Idempotency-Key, as sync_backoffice_request holds it. */
export interface StoredRequest {
  operation: string;
  bodyHash: string;
  status: number;
  response: string;
}

/** One stock movement a purchase or write-off makes: a signed quantity as an exact decimal string. */
export interface MovementInput {
  produtoId: number;
  quantidade: string;
  custoUnitario: string | null;
}

/** A column of a catalog table as the database describes it. */
export interface CatalogColumn {
  name: string;
  dataType: string;
  maxLength: number | null;
  precision: number | null;
  scale: number | null;
  nullable: boolean;
}

/**
 * The statements of one dialect. Parameters are positional in both ($n / @pn), so the operations below are
 * written once. Every statement is checked: PostgreSQL ones on PGlite and the server, T-SQL ones by the grammar.
 */
export interface BackofficeSql {
  findClient: string;
  insertClient: string;
  setClientActive: string;
  listClients: string;
  claimRequest: string;
  readRequest: string;
  saveResponse: string;
  lojaExists: string;
  /** Takes the ids as one JSON array text. */
  existingProducts: string;
  insertDocument: string;
  insertMovement: string;
  applyLote: string;
  catalogColumns: string;
  /** A table name, quoted for the dialect (dbo. on SQL Server). */
  table(name: string): string;
  column(name: string): string;
  placeholder(n: number): string;
}

const SQL: Record<DialectName, BackofficeSql> = { postgres: POSTGRES_BACKOFFICE_SQL, mssql: MSSQL_BACKOFFICE_SQL };

export const backofficeSqlFor = (dialect: DialectName): BackofficeSql => SQL[dialect];

/** The back office's database operations on top of one dialect's statements. */
export class BackofficeStore {
  readonly sql: BackofficeSql;
  constructor(dialect: DialectName) {
    this.sql = backofficeSqlFor(dialect);
  }

  async findClient(db: Queryable, tokenHash: string): Promise<{ name: string; tokenHash: string } | undefined> {
    const { rows } = await db.query<{ name: string; token_hash: string }>(this.sql.findClient, [tokenHash]);
    const row = rows[0];
    return row && { name: row.name, tokenHash: row.token_hash.trim() };
  }

  /** Records the key for this write, or returns what an earlier request under the same key stored. */
  async claim(tx: Queryable, client: string, key: string, operation: string, bodyHash: string): Promise<StoredRequest | 'new'> {
    const inserted = await tx.query(this.sql.claimRequest, [client, key, operation, bodyHash]);
    if (inserted.rowCount === 1) return 'new';
    const { rows } = await tx.query<{ operation: string; body_hash: string; status: number; response: string }>(this.sql.readRequest, [client, key]);
    const row = rows[0];
    if (row === undefined) throw new Error(`idempotency record of ${client}/${key} neither inserted nor found`);
    return { operation: row.operation, bodyHash: row.body_hash.trim(), status: Number(row.status), response: row.response };
  }

  async saveResponse(tx: Queryable, client: string, key: string, status: number, response: string): Promise<void> {
    await tx.query(this.sql.saveResponse, [client, key, status, response]);
  }

  async lojaExists(db: Queryable, lojaId: number): Promise<boolean> {
    return (await db.query(this.sql.lojaExists, [lojaId])).rows.length > 0;
  }

  async existingProducts(db: Queryable, ids: readonly number[]): Promise<Set<number>> {
    const { rows } = await db.query<{ produto_id: number }>(this.sql.existingProducts, [JSON.stringify([...new Set(ids)])]);
    return new Set(rows.map((row) => Number(row.produto_id)));
  }

  /** False when a document of this kind and id was recorded before. */
  async insertDocument(tx: Queryable, origem: string, id: string, lojaId: number, motivo: string | null): Promise<boolean> {
    return (await tx.query(this.sql.insertDocument, [origem, id, lojaId, motivo])).rowCount === 1;
  }

  /** Records the movements as one lote and applies it to estoque, in the caller's transaction. */
  async moveStock(tx: Queryable, lote: string, origem: string, id: string, lojaId: number, movements: readonly MovementInput[]): Promise<void> {
    for (const movement of movements) {
      await tx.query(this.sql.insertMovement, [lote, origem, id, lojaId, movement.produtoId, movement.quantidade, movement.custoUnitario]);
    }
    await tx.query(this.sql.applyLote, [lote]);
  }

  async catalogColumns(db: Queryable, table: string): Promise<CatalogColumn[]> {
    const { rows } = await db.query<Record<string, unknown>>(this.sql.catalogColumns, [table]);
    const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));
    return rows.map((row) => ({
      name: String(row.column_name),
      dataType: String(row.data_type).toLowerCase(),
      maxLength: num(row.max_length),
      precision: num(row.numeric_precision),
      scale: num(row.numeric_scale),
      nullable: String(row.is_nullable).toUpperCase() === 'YES',
    }));
  }
}
