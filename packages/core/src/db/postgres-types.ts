/**
 * How PostgreSQL values come back, the same for node-postgres and PGlite so that code above the interface
 * never branches on the adapter. Exactness wins over convenience: bigint and numeric stay strings (a JS
 * number cannot hold a bigint or a decimal(18,4) exactly), and date/time types stay in PostgreSQL's text form
 * (a JS Date drops microseconds and moves dates across time zones). Sessions run in UTC.
 */
export const PG_OID = {
  INT8: 20,
  NUMERIC: 1700,
  DATE: 1082,
  TIME: 1083,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
  TIMETZ: 1266,
  BYTEA: 17,
  MONEY: 790,
} as const;

export const KEEP_AS_TEXT_OIDS: readonly number[] = [
  PG_OID.INT8,
  PG_OID.NUMERIC,
  PG_OID.DATE,
  PG_OID.TIME,
  PG_OID.TIMESTAMP,
  PG_OID.TIMESTAMPTZ,
  PG_OID.TIMETZ,
  PG_OID.MONEY,
];

export const ISOLATION_SQL: Record<string, string> = {
  'read committed': 'READ COMMITTED',
  'repeatable read': 'REPEATABLE READ',
  serializable: 'SERIALIZABLE',
  // PostgreSQL's REPEATABLE READ is snapshot isolation.
  snapshot: 'REPEATABLE READ',
};
