import type { DialectName } from '@goldpdv/core';

/**
 * Table and column names come from the mapping file and from the central API, so they are never trusted as
 * SQL: each one must match this pattern (checked when the file is read and when a page arrives) and is always
 * quoted. Together that leaves no way to smuggle SQL through a name.
 */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** "name" on PostgreSQL, [name] on SQL Server. Refuses anything that is not an identifier, as a last guard. */
export function quoteIdentifier(dialect: DialectName, name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`refusing to quote ${JSON.stringify(name)}: not an identifier`);
  return dialect === 'mssql' ? `[${name}]` : `"${name}"`;
}

/** Local tables live in the connection's default schema on PostgreSQL and in dbo on SQL Server. */
export function quoteTable(dialect: DialectName, name: string): string {
  return dialect === 'mssql' ? `dbo.${quoteIdentifier(dialect, name)}` : quoteIdentifier(dialect, name);
}
