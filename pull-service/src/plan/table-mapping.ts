import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, identifierProblem } from '@goldpdv/core';
import { MAX_ROWS_PER_STATEMENT, STATEMENT_SIZE_REASON } from '../db/statement-size.js';
import { dependencyOrder } from './dependency-order.js';
import { parseLocalName, type LocalName } from './local-name.js';

/**
 * Table and column names come from the mapping file and from the central API, so they are never trusted as
 * SQL: core's quoteIdentifier / quoteQualifiedName quote every name written into SQL, so that it means exactly
 * itself (reserved words, spaces, accents, mixed case, quote characters). What no catalog can hold is refused
 * when the file is read: an empty name, one longer than 128 characters, one with a control character.
 */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A plain identifier: shown bare in field paths of error lines. */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

const NAME_RULE = 'expected a name of 1 to 128 characters without control characters';

const identifier = z.string({ message: 'expected a name in quotes' }).refine((name) => identifierProblem(name) === null, { message: NAME_RULE });

/** A local table: name or schema.name, parts optionally in [brackets] or "double quotes" (local-name.ts). */
const localTableName = z.string({ message: 'expected a name in quotes' }).superRefine((text, context) => {
  const parsed = parseLocalName(text);
  if (typeof parsed === 'string') context.addIssue({ code: 'custom', message: `expected table or schema.table (${parsed})` });
});

/** A value for a local column the central side does not send, in its wire form. */
const constantValue = z.union([z.string(), z.number().finite(), z.boolean()], { message: 'expected a string, a number or true/false' });

const tableEntrySchema = z.strictObject({
  /** The table's name on the central API. */
  table: identifier,
  /** The local table, when its name differs. */
  localTable: localTableName.optional(),
  /** Renames, central name -> local name; columns not listed keep their name. */
  columns: z.record(identifier, identifier).optional(),
  /** Central key columns; default: the local primary key. */
  keyColumns: z.array(identifier).min(1, { message: 'expected at least one key column' }).optional(),
  /**
   * Local column -> value, for local NOT NULL columns without a default that the central side does not send:
   * written into rows this table inserts (and updates) while no central column fills that local column.
   */
  constants: z.record(identifier, constantValue).optional(),
  /** Rows per page for this table, instead of PULL_PAGE_SIZE. */
  batchSize: z
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(1)
    .max(MAX_ROWS_PER_STATEMENT, { message: `expected at most ${MAX_ROWS_PER_STATEMENT} (${STATEMENT_SIZE_REASON})` })
    .optional(),
  /** Central names of tables whose rows this table's rows refer to; they are upserted first and deleted last. */
  dependsOn: z.array(identifier).optional(),
});

const mappingFileSchema = z.strictObject({
  tables: z.array(tableEntrySchema, { message: 'expected a list of tables' }).min(1, { message: 'expected at least one table' }),
});

export interface TableMapping {
  table: string;
  /** As the file writes it (for messages); `local` is the parsed name. */
  localTable: string;
  local: LocalName;
  /** central name -> local name, for the renamed columns only. */
  renames: ReadonlyMap<string, string>;
  keyColumns: readonly string[] | null;
  batchSize: number | null;
  dependsOn: readonly string[];
  /** Local column -> wire value, for NOT NULL columns the central side does not send. */
  constants: ReadonlyMap<string, string | number | boolean>;
}

export interface MappingFile {
  file: string;
  /** In dependency order: parents first. */
  tables: readonly TableMapping[];
}

/** Reads and validates the mapping file. Any problem is a ConfigError naming the file and the field. */
export function loadTableMapping(file: string): MappingFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw mappingError(file, `cannot read the file (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw mappingError(file, `not valid JSON (${(cause as Error).message})`, cause);
  }
  return parseTableMapping(raw, file);
}

export function parseTableMapping(raw: unknown, file: string): MappingFile {
  const result = mappingFileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw mappingError(file, describeIssue(issue, raw), result.error);
  }
  const entries = result.data.tables;
  const seen = new Map<string, number>();
  const seenLocal = new Map<string, number>();
  entries.forEach((entry, index) => {
    const parsed = parseLocalName(entry.localTable ?? entry.table);
    if (typeof parsed === 'string') throw mappingError(file, `tables[${index}]${entry.localTable === undefined ? '.table' : '.localTable'}: ${parsed}`);
    // Quoting and case aside, two entries naming one table would fill it twice.
    const localTable = `${parsed.schema ?? ''}.${parsed.name}`.toLowerCase();
    if (seen.has(entry.table)) throw mappingError(file, `tables[${index}].table: "${entry.table}" is listed twice (also tables[${seen.get(entry.table)}])`);
    if (seenLocal.has(localTable)) throw mappingError(file, `tables[${index}].localTable: local table "${entry.localTable ?? entry.table}" is filled twice (also by tables[${seenLocal.get(localTable)}])`);
    seen.set(entry.table, index);
    seenLocal.set(localTable, index);
    const targets = new Map<string, string>();
    for (const [central, local] of Object.entries(entry.columns ?? {})) {
      if (targets.has(local)) throw mappingError(file, `tables[${index}].columns.${central}: local column "${local}" is also the target of "${targets.get(local)}"`);
      targets.set(local, central);
    }
  });
  entries.forEach((entry, index) => {
    (entry.dependsOn ?? []).forEach((parent, position) => {
      const where = `tables[${index}].dependsOn[${position}]`;
      if (parent === entry.table) throw mappingError(file, `${where}: "${parent}" cannot depend on itself`);
      if (!seen.has(parent)) throw mappingError(file, `${where}: "${parent}" is not a table of this file`);
    });
  });
  const byTable = new Map(entries.map((entry) => [entry.table, entry]));
  const ordered = dependencyOrder(entries.map((entry) => entry.table), (table) => byTable.get(table)?.dependsOn ?? []);
  if (ordered.order === null) throw mappingError(file, `dependsOn: the tables ${ordered.cycle.join(', ')} depend on each other in a cycle`);
  const tables = ordered.order.map((table): TableMapping => {
    const entry = byTable.get(table)!;
    return {
      table,
      localTable: entry.localTable ?? table,
      local: parseLocalName(entry.localTable ?? table) as LocalName,
      constants: new Map(Object.entries(entry.constants ?? {})),
      renames: new Map(Object.entries(entry.columns ?? {})),
      keyColumns: entry.keyColumns ?? null,
      batchSize: entry.batchSize ?? null,
      dependsOn: entry.dependsOn ?? [],
    };
  });
  return { file, tables };
}

function mappingError(file: string, detail: string, cause?: unknown): ConfigError {
  return new ConfigError('PULL_TABLES_FILE', `PULL_TABLES_FILE: ${file}: ${detail}`, { cause, context: { file } });
}

function describeIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const path = formatPath(issue.path);
  const where = path === '' ? '' : `${path}: `;
  if (issue.code === 'unrecognized_keys') return `${where}unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0]?.message ?? issue.message;
    return `${where}${inner}; found the name ${show(issue.path.at(-1))}`;
  }
  const found = valueAt(raw, issue.path);
  const expected = issue.message.replace(/^Invalid input:\s*/i, '').replace(/,?\s*received .*$/i, '');
  return `${where}${expected}; found ${found === undefined ? 'nothing' : show(found)}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      const name = String(part);
      if (IDENTIFIER.test(name)) return index === 0 ? name : `.${name}`;
      return `[${JSON.stringify(name)}]`;
    })
    .join('');
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
