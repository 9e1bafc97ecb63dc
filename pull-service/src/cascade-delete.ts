import type { DialectName } from '@goldpdv/core';
import { quoteIdentifier, quoteTable } from './sql-identifiers.js';
import type { ChildLink } from './table-plan.js';

/**
 * Deleting a parent row that local children still point to would fail on the foreign key. Those children are
 * deleted first, in the same statement sequence: a local child can only point to a parent deleted centrally
 * if the child itself was deleted or re-pointed centrally before that, at a version its own table has not
 * applied yet, so its own pull brings it back in its new state. Only pulled tables are cascaded into; a
 * local-only table that refers to the parent still stops the delete, which is then reported.
 *
 * Returns the DELETE statements for the descendants, deepest first. `rootPredicate(alias)` selects the parent
 * rows being deleted; every statement uses the same parameters as the root's own delete.
 */
export function cascadeDeletes(
  dialect: DialectName,
  rootTable: string,
  rootPredicate: (alias: string) => string,
  childrenOf: (localTable: string) => readonly ChildLink[],
): string[] {
  const statements: string[] = [];
  let aliasCount = 0;
  const nextAlias = () => `c${++aliasCount}`;

  // `selects(alias)` is the predicate "row `alias` of `table` is going away".
  const visit = (table: string, selects: (alias: string) => string, path: readonly string[]): void => {
    for (const link of childrenOf(table)) {
      if (path.includes(link.childTable)) continue;
      const childSelects = (childAlias: string): string => {
        const parentAlias = nextAlias();
        const join = link.childColumns
          .map((column, i) => `${childAlias}.${quoteIdentifier(dialect, column)} = ${parentAlias}.${quoteIdentifier(dialect, link.parentColumns[i]!)}`)
          .join(' AND ');
        return `EXISTS (SELECT 1 FROM ${quoteTable(dialect, table)} AS ${parentAlias} WHERE ${join} AND ${selects(parentAlias)})`;
      };
      visit(link.childTable, childSelects, [...path, link.childTable]);
      const alias = nextAlias();
      statements.push(deleteWhere(dialect, link.childTable, alias, childSelects(alias)));
    }
  };
  visit(rootTable, rootPredicate, [rootTable]);
  return statements;
}

export function deleteWhere(dialect: DialectName, table: string, alias: string, predicate: string): string {
  return dialect === 'mssql'
    ? `DELETE ${alias} FROM ${quoteTable(dialect, table)} AS ${alias} WHERE ${predicate};`
    : `DELETE FROM ${quoteTable(dialect, table)} AS ${alias} WHERE ${predicate}`;
}
