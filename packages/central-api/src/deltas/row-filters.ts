import { isIdentifier } from './sql-identifiers.js';

/** Only rows whose `column` equals the calling PDV's loja are sent as upserts for `table`. */
export interface RowFilter {
  table: string;
  column: string;
}

export const DEFAULT_ROW_FILTERS = 'preco_loja.loja_id';

export type RowFiltersParse = { ok: true; value: RowFilter[] } | { ok: false; message: string };

/** ROW_FILTERS: `table.column,...`; `none` turns filtering off; unset means the default. */
export function parseRowFilters(raw: string | undefined): RowFiltersParse {
  const text = (raw ?? DEFAULT_ROW_FILTERS).trim();
  if (text.toLowerCase() === 'none') return { ok: true, value: [] };
  const filters: RowFilter[] = [];
  for (const entry of text.split(',').map((part) => part.trim())) {
    const [table, column, extra] = entry.split('.');
    if (table === undefined || column === undefined || extra !== undefined || !isIdentifier(table) || !isIdentifier(column)) {
      return { ok: false, message: `expected table.column entries separated by commas (lowercase names), or none; ${JSON.stringify(entry)} is not one` };
    }
    if (filters.some((filter) => filter.table === table)) {
      return { ok: false, message: `expected at most one filter per table; ${table} has two` };
    }
    filters.push({ table, column });
  }
  return { ok: true, value: filters };
}
