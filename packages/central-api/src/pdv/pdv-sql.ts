import type { DialectName, Queryable } from '@goldpdv/core';
import { PDV_SQL_MSSQL } from './pdv-sql.mssql.js';
import { PDV_SQL_POSTGRES } from './pdv-sql.postgres.js';

/** The PDV registry statements of one dialect. Parameters are positional in both. */
export interface PdvStatements {
  /** $1 token_hash -> pdv_id, loja_id, active, token_hash */
  findByTokenHash: string;
  /** $1 loja_id -> one row when the loja exists */
  lojaExists: string;
  /** $1 pdv_id, $2 loja_id, $3 token_hash: insert, or re-point and re-activate an existing PDV. */
  upsert: string;
}

export const PDV_SQL: Record<DialectName, PdvStatements> = { postgres: PDV_SQL_POSTGRES, mssql: PDV_SQL_MSSQL };

export interface PdvRow {
  pdv_id: string;
  loja_id: number | string;
  active: boolean | number;
  token_hash: string;
}

export async function findPdvByTokenHash(db: Queryable, hash: string): Promise<PdvRow | undefined> {
  const { rows } = await db.query<PdvRow>(PDV_SQL[db.dialect].findByTokenHash, [hash]);
  return rows[0];
}
