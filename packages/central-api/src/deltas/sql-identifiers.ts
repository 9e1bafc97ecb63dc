/**
 * Table and column names come from the database catalog and from ROW_FILTERS, and end up inside SQL text
 * (a name cannot be a bound parameter). Only plain lowercase names are accepted, and they are quoted anyway,
 * so that no catalog entry or setting can change the meaning of a statement.
 */
export const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && name.length <= 128;
}

function checked(name: string): string {
  if (!isIdentifier(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name.slice(0, 140))}`);
  return name;
}

/** "name" for PostgreSQL. */
export const pgIdent = (name: string): string => `"${checked(name)}"`;

/** [name] for SQL Server. */
export const msIdent = (name: string): string => `[${checked(name)}]`;

/** 'name' as a string literal, for jsonb_build_object keys and the like. */
export const nameLiteral = (name: string): string => `'${checked(name)}'`;
