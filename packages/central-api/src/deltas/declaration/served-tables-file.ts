import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, findCommonDir } from '@goldpdv/core';
import type { ZodError } from 'zod';
import type { ParseResult } from '../../parse-result.js';
import { servedTablesSchema, type ServedTablesDeclaration } from './served-tables-declaration.js';

/** The sample schema's declaration, shipped in common/ (the image copies it to /app/common). */
export const SAMPLE_SERVED_TABLES_FILE = 'served-tables.sample.json';

export const sampleServedTablesPath = (): string => join(findCommonDir(), SAMPLE_SERVED_TABLES_FILE);

/** tables[2].columns[0] from a zod issue path. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('') || '(top level)';
}

function firstIssue(error: ZodError): string {
  const issue = error.issues[0]!;
  return `${pathText(issue.path)}: ${issue.message}`;
}

/** Reads and validates a declaration; the message names the file and the field at fault. */
export function readServedTablesFile(path: string): ParseResult<ServedTablesDeclaration> {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { ok: false, message: `expected a readable JSON file; cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `expected JSON in ${file}: ${(error as Error).message}` };
  }
  const parsed = servedTablesSchema.safeParse(json);
  if (!parsed.success) return { ok: false, message: `${file}: ${firstIssue(parsed.error)}` };
  return { ok: true, value: { file, tables: parsed.data.tables } };
}

/** SERVED_TABLES_FILE as a config variable: unset means the sample schema's declaration. */
export function parseServedTablesVariable(raw: string | undefined): ParseResult<ServedTablesDeclaration> {
  const path = raw === undefined || raw.trim() === '' ? sampleServedTablesPath() : raw.trim();
  return readServedTablesFile(path);
}

/** The sample schema's declaration (demo, tests); a broken sample file is a ConfigError naming it. */
export function sampleServedTables(): ServedTablesDeclaration {
  const read = readServedTablesFile(sampleServedTablesPath());
  if (!read.ok) throw new ConfigError('SERVED_TABLES_FILE', `SERVED_TABLES_FILE: ${read.message}`);
  return read.value;
}
