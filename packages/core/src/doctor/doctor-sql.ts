import type { DialectName } from '../db/types.js';
import { DOCTOR_SQL_MSSQL } from './doctor-sql.mssql.js';
import { DOCTOR_SQL_POSTGRES } from './doctor-sql.postgres.js';

/**
 * The catalog probes of `doctor`, once per dialect (doctor-sql.mssql.ts, doctor-sql.postgres.ts), with the same
 * parameters and result columns. Object names arrive already quoted for the dialect (core's quoteQualifiedName),
 * inside a JSON array, so that one statement answers for every object.
 */
export interface DoctorStatements {
  /**
   * (JSON array of {"kind": "table"|"routine", "name": quoted qualified name, "permission"}) ->
   * name, permission, found (0/1 or boolean), granted (1/0/NULL, or boolean/NULL)
   */
  permissions: string;
  /** () -> create_objects (0/1): may this login create the project's tables, views, routines and triggers? */
  schemaChanges: string;
  /** (JSON array of quoted qualified table names) -> table_name, column_name, collation_name, insensitive (0/1) */
  keyCollations: string;
  /** () -> schema_name, table_name, trigger_name, disabled (0/1): every DML trigger on a table */
  triggers: string;
  /** () -> now_utc: the database clock */
  clock: string;
}

const STATEMENTS: Record<DialectName, DoctorStatements> = { mssql: DOCTOR_SQL_MSSQL, postgres: DOCTOR_SQL_POSTGRES };

export function doctorStatementsFor(dialect: DialectName): DoctorStatements {
  return STATEMENTS[dialect];
}
