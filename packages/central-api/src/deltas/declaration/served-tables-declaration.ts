import { identifierProblem } from '@goldpdv/core';
import { z } from 'zod';
import { SERVED_NAME } from '../served-names.js';
import { parseSourceTableName, type SourceTableName } from './source-name.js';

/**
 * SERVED_TABLES_FILE: what the central side serves to the PDVs, and to whom. Only what is declared leaves the
 * central database: a table not listed is not served, a column not listed is never sent (not in snapshots,
 * not in changes), and a filtered table's rows reach only the PDVs of the loja in its filter column.
 *
 *   { "tables": [
 *       { "table": "produto", "source": "cad.Produto",
 *         "columns": ["CodProduto", { "column": "Descricao", "as": "descricao" }, "Order"],
 *         "rowFilter": null },
 *       { "table": "preco_loja", "source": "dbo.[Tabela de Preço]",
 *         "columns": ["loja_id", "produto_id", "preco"], "rowFilter": { "column": "loja_id" } } ] }
 *
 * `table` is the contract name a PDV asks for (a lowercase identifier); `source` the central table; each column
 * is the central column's name, served under that name or under `as`. `rowFilter` is required, so that serving
 * every row to every loja is a decision someone wrote down: null, or the central column compared with the
 * calling PDV's loja. Whether the names exist, are tracked and travel exactly is checked against the database
 * catalog at start and on each registry refresh (served-tables-check.ts), since the catalog can change later.
 */
export interface DeclaredColumn {
  /** The central column's name, exactly. */
  source: string;
  /** The name it is served under. */
  name: string;
}

export interface DeclaredTable {
  /** The contract name. */
  table: string;
  source: SourceTableName;
  columns: DeclaredColumn[];
  /** The central column compared with the calling PDV's loja, or null for every loja. */
  rowFilter: string | null;
}

export interface ServedTablesDeclaration {
  /** Where it was read from, for messages. */
  file: string;
  tables: DeclaredTable[];
}

const identifier = z.string().superRefine((name, context) => {
  const problem = identifierProblem(name);
  if (problem !== null) context.addIssue({ code: 'custom', message: `expected a column name, but ${problem}` });
});

const sourceName = z.string().transform((text, context) => {
  const parsed = parseSourceTableName(text);
  if (parsed.ok) {
    const problem = [parsed.value.schema, parsed.value.name].map((part) => (part === null ? null : identifierProblem(part))).find((found) => found);
    if (!problem) return parsed.value;
    context.addIssue({ code: 'custom', message: `expected a table name, but ${problem}` });
    return z.NEVER;
  }
  context.addIssue({ code: 'custom', message: `expected table or schema.table (e.g. cad.Produto or dbo.[Tabela de Preço]): ${parsed.message}` });
  return z.NEVER;
});

const column = z
  .union([identifier, z.strictObject({ column: identifier, as: identifier.optional() })])
  .transform((entry): DeclaredColumn => (typeof entry === 'string' ? { source: entry, name: entry } : { source: entry.column, name: entry.as ?? entry.column }))
  // A row is a JS object on both sides: a member named __proto__ would set its prototype instead of a value.
  .refine((entry) => entry.name !== '__proto__', { message: 'expected a served name other than __proto__: serve the column under another name with "as"' });

const table = z
  .strictObject({
    table: z.string().regex(SERVED_NAME, { message: 'expected a lowercase contract name (a-z, 0-9, _; not starting with a digit)' }).max(128),
    source: sourceName,
    columns: z.array(column).min(1, { message: 'expected at least one column (the key columns at least)' }),
    rowFilter: z.union([z.null(), z.strictObject({ column: identifier })], { message: 'expected null (every loja) or { "column": "<central column>" }' }),
  })
  .superRefine((entry, context) => {
    for (const [label, names] of [['central column', entry.columns.map((c) => c.source)], ['served name', entry.columns.map((c) => c.name)]] as const) {
      const seen = new Set<string>();
      names.forEach((name, index) => {
        if (seen.has(name)) context.addIssue({ code: 'custom', path: ['columns', index], message: `${label} ${JSON.stringify(name)} is listed twice` });
        seen.add(name);
      });
    }
  })
  .transform((entry): DeclaredTable => ({ table: entry.table, source: entry.source, columns: entry.columns, rowFilter: entry.rowFilter?.column ?? null }));

export const servedTablesSchema = z
  .strictObject({ tables: z.array(table).min(1, { message: 'expected at least one table' }) })
  .superRefine((declaration, context) => {
    const seen = new Set<string>();
    declaration.tables.forEach((entry, index) => {
      if (seen.has(entry.table)) context.addIssue({ code: 'custom', path: ['tables', index, 'table'], message: `contract name ${entry.table} is declared twice` });
      seen.add(entry.table);
    });
  });
