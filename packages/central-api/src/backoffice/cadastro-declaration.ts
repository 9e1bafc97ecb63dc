import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findCommonDir, identifierProblem } from '@goldpdv/core';
import { z } from 'zod';
import type { ParseResult } from '../parse-result.js';

/**
 * What the back office may write (BACKOFFICE_TABLES_FILE): per table, its key and the columns it may set. Apart
 * from the served-tables declaration: the back office writes columns never served (cost, a customer's CPF).
 */
export interface CadastroTable {
  table: string;
  key: string[];
  columns: string[];
}

export interface CadastroDeclaration {
  file: string;
  tables: CadastroTable[];
}

export const SAMPLE_BACKOFFICE_TABLES_FILE = 'backoffice-tables.sample.json';

const name = z.string().refine((value) => identifierProblem(value) === null, { message: 'must be a plain SQL identifier' });

const declarationSchema = z
  .object({
    tables: z
      .array(
        z
          .object({ table: name, key: z.array(name).min(1), columns: z.array(name).min(1) })
          .strict()
          .refine((table) => table.key.every((column) => table.columns.includes(column)), { message: 'every key column must also be listed in columns' })
          .refine((table) => new Set(table.columns).size === table.columns.length, { message: 'a column is listed twice' }),
      )
      .min(1),
  })
  .strict()
  .refine((declaration) => new Set(declaration.tables.map((table) => table.table)).size === declaration.tables.length, { message: 'a table is declared twice' });

/** Reads BACKOFFICE_TABLES_FILE (unset: the sample schema's declaration in common/); the message names the field at fault. */
export function parseCadastroDeclarationVariable(value: string | undefined): ParseResult<CadastroDeclaration> {
  const file = resolve(value === undefined || value === '' ? join(findCommonDir(), SAMPLE_BACKOFFICE_TABLES_FILE) : value);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { ok: false, message: `expected a readable JSON file; cannot read ${file} (${(error as Error).message})` };
  }
  const parsed = declarationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, message: `${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}` };
  }
  return { ok: true, value: { file, tables: parsed.data.tables } };
}
