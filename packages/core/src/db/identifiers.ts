import { PermanentError } from '../errors/index.js';
import type { DialectName } from './types.js';

/**
 * The one way this project puts a name into SQL text (a table, column or schema name cannot be a bound
 * parameter). Any name is quoted so that it means exactly itself: the quote character is doubled ("" on
 * PostgreSQL, ]] on SQL Server), so reserved words, spaces, accents and mixed case are all safe. Names that no
 * catalog can hold (empty, longer than 128 characters, with a control character) are refused outright.
 *
 * Which names a package accepts in the first place (from a mapping file, from the catalog) is its own rule;
 * this only guarantees that a name cannot change the meaning of a statement.
 */
export const MAX_IDENTIFIER_LENGTH = 128;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** A name that no catalog can hold reached the SQL builder: a bug or a hostile input, never retried. */
export class InvalidIdentifierError extends PermanentError {
  constructor(identifier: string, reason: string) {
    super(`refusing to use ${JSON.stringify(identifier.slice(0, 140))} as a SQL name: ${reason}`, { context: { identifier: identifier.slice(0, 140) } });
  }
}

/** Why a name cannot be used as a SQL identifier, or null when it can. */
export function identifierProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_IDENTIFIER_LENGTH) return `it is longer than ${MAX_IDENTIFIER_LENGTH} characters`;
  if (CONTROL_CHARACTER.test(name)) return 'it holds a control character';
  return null;
}

/** "name" on PostgreSQL, [name] on SQL Server, with the closing quote doubled. */
export function quoteIdentifier(dialect: DialectName, name: string): string {
  const problem = identifierProblem(name);
  if (problem !== null) throw new InvalidIdentifierError(name, problem);
  return dialect === 'mssql' ? `[${name.replaceAll(']', ']]')}]` : `"${name.replaceAll('"', '""')}"`;
}

/** schema.name, each part quoted; a null schema leaves the name to the connection's default schema. */
export function quoteQualifiedName(dialect: DialectName, schema: string | null, name: string): string {
  return schema === null ? quoteIdentifier(dialect, name) : `${quoteIdentifier(dialect, schema)}.${quoteIdentifier(dialect, name)}`;
}

/** A name as a string literal ('it''s'; N'...' on SQL Server), for JSON keys and catalog lookups in SQL text. */
export function quoteNameLiteral(dialect: DialectName, name: string): string {
  const problem = identifierProblem(name);
  if (problem !== null) throw new InvalidIdentifierError(name, problem);
  const literal = `'${name.replaceAll("'", "''")}'`;
  return dialect === 'mssql' ? `N${literal}` : literal;
}
