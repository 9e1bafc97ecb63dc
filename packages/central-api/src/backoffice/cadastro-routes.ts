import { driverErrorFacts, type Queryable } from '@goldpdv/core';
import type { AppContext } from '../app-context.js';
import { badRequest, HttpProblem, PROBLEM_TYPES } from '../http/problem.js';
import type { Route } from '../http/route.js';
import { authenticateBackoffice } from './backoffice-auth.js';
import type { BackofficeStore, CatalogColumn } from './backoffice-store.js';
import type { CadastroDeclaration, CadastroTable } from './cadastro-declaration.js';
import { checkValue, isWritableType } from './cadastro-value.js';
import { idempotencyKeyOf, idempotentWrite, type WriteResult } from './idempotent-write.js';
import { unprocessable } from './stock-document.js';

export const MAX_OPERATIONS = 500;
const ACTIONS = ['insert', 'update', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

interface Operation {
  table: CadastroTable;
  action: Action;
  /** Declared columns and their checked values, in the row's order. */
  values: Map<string, string | number | boolean | null>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Columns of the declared tables as the database describes them, read once per table. */
class CatalogColumns {
  private readonly cache = new Map<string, Map<string, CatalogColumn>>();
  constructor(private readonly store: BackofficeStore, private readonly file: string) {}

  async of(db: Queryable, table: CadastroTable): Promise<Map<string, CatalogColumn>> {
    const cached = this.cache.get(table.table);
    if (cached) return cached;
    const columns = new Map((await this.store.catalogColumns(db, table.table)).map((column) => [column.name, column]));
    const missing = table.columns.find((name) => !columns.has(name));
    const unwritable = table.columns.find((name) => columns.has(name) && !isWritableType(columns.get(name)!.dataType));
    if (missing !== undefined || unwritable !== undefined) {
      // The declaration does not match the database: an operator's fix, not the caller's.
      throw new HttpProblem(500, PROBLEM_TYPES.internal, 'Back-office declaration does not match the database', {
        detail: missing !== undefined
          ? `${this.file} declares ${table.table}.${missing}, which the central database does not have`
          : `${this.file} declares ${table.table}.${unwritable}, whose type ${columns.get(unwritable!)!.dataType} the back office cannot write`,
      });
    }
    this.cache.set(table.table, columns);
    return columns;
  }
}

/** Parses one operation's envelope and row against the declaration and the catalog types. */
async function parseOperation(db: Queryable, declaration: CadastroDeclaration, catalog: CatalogColumns, raw: unknown, at: string): Promise<Operation> {
  if (!isObject(raw)) throw badRequest(`${at} must be an object`, at);
  const extra = Object.keys(raw).find((name) => !['table', 'action', 'row'].includes(name));
  if (extra !== undefined) throw badRequest(`unknown field "${extra}"; allowed: table, action, row`, `${at}.${extra}`);
  const table = declaration.tables.find((candidate) => candidate.table === raw.table);
  if (table === undefined) {
    throw unprocessable(`${at}.table must be one of the back-office tables: ${declaration.tables.map((t) => t.table).join(', ')}`, `${at}.table`);
  }
  if (!ACTIONS.includes(raw.action as Action)) throw badRequest(`${at}.action must be one of ${ACTIONS.join(', ')}`, `${at}.action`);
  const action = raw.action as Action;
  if (!isObject(raw.row)) throw badRequest(`${at}.row must be an object`, `${at}.row`);
  const columns = await catalog.of(db, table);
  const values = new Map<string, string | number | boolean | null>();
  for (const [name, value] of Object.entries(raw.row)) {
    const field = `${at}.row.${name}`;
    if (!table.columns.includes(name)) throw unprocessable(`${table.table} has no back-office column "${name}"; allowed: ${table.columns.join(', ')}`, field);
    if (action === 'delete' && !table.key.includes(name)) throw unprocessable(`a delete names only the key (${table.key.join(', ')})`, field);
    const checked = checkValue(columns.get(name)!, value);
    if (!checked.ok) throw unprocessable(`${table.table}.${name} ${checked.reason}`, field);
    values.set(name, checked.value);
  }
  const missingKey = table.key.find((name) => values.get(name) === undefined || values.get(name) === null);
  if (missingKey !== undefined) throw unprocessable(`${table.table} needs its key column ${missingKey}`, `${at}.row.${missingKey}`);
  if (action === 'update' && values.size === table.key.length) throw unprocessable('an update sets at least one column besides the key', `${at}.row`);
  return { table, action, values };
}

function statementOf(store: BackofficeStore, operation: Operation): { sql: string; params: unknown[] } {
  const { sql } = store;
  const entries = [...operation.values.entries()];
  const params = entries.map(([, value]) => value);
  const placeholders = entries.map((_, index) => sql.placeholder(index + 1));
  const table = sql.table(operation.table.table);
  if (operation.action === 'insert') {
    return { sql: `INSERT INTO ${table} (${entries.map(([name]) => sql.column(name)).join(', ')}) VALUES (${placeholders.join(', ')})`, params };
  }
  const keyed = entries.map(([name], index) => ({ name, placeholder: placeholders[index]!, key: operation.table.key.includes(name) }));
  const where = keyed.filter((entry) => entry.key).map((entry) => `${sql.column(entry.name)} = ${entry.placeholder}`).join(' AND ');
  if (operation.action === 'delete') return { sql: `DELETE FROM ${table} WHERE ${where}`, params };
  const set = keyed.filter((entry) => !entry.key).map((entry) => `${sql.column(entry.name)} = ${entry.placeholder}`).join(', ');
  return { sql: `UPDATE ${table} SET ${set} WHERE ${where}`, params };
}

/** Applies every operation in the caller's transaction; the first one refused refuses the whole batch. */
async function applyOperations(tx: Queryable, store: BackofficeStore, operations: readonly Operation[]): Promise<WriteResult> {
  for (const [index, operation] of operations.entries()) {
    const at = `operations[${index}]`;
    const { sql, params } = statementOf(store, operation);
    let rowCount: number;
    try {
      rowCount = (await tx.query(sql, params)).rowCount;
    } catch (error) {
      const facts = driverErrorFacts(error);
      throw new HttpProblem(422, PROBLEM_TYPES.invalidRequest, 'Invalid request', {
        detail: `${operation.action} on ${operation.table.table} refused by the database: ${facts.message.split('\n')[0]}`,
        field: at,
        cause: error,
      });
    }
    if (rowCount === 0) throw unprocessable(`${operation.action} on ${operation.table.table}: no row has this key`, `${at}.row`);
  }
  return { status: 200, body: { applied: operations.length } };
}

/** POST /v1/backoffice/cadastros: a batch of catalog writes, as the back-office declaration allows. */
export function cadastroRoutes(context: AppContext, store: BackofficeStore, declaration: CadastroDeclaration): Route[] {
  const catalog = new CatalogColumns(store, declaration.file);
  return [
    {
      method: 'POST',
      path: '/v1/backoffice/cadastros',
      async handle(request) {
        const client = await authenticateBackoffice(context.db, store, request.headers);
        const key = idempotencyKeyOf(request);
        // The text as received is what the idempotency key is checked against; readJson parses the same text.
        const text = await request.readText();
        const body = await request.readJson();
        if (!isObject(body)) throw badRequest('the body must be a JSON object with an "operations" array');
        const extra = Object.keys(body).find((name) => name !== 'operations');
        if (extra !== undefined) throw badRequest(`unknown field "${extra}"; allowed: operations`, extra);
        if (!Array.isArray(body.operations) || body.operations.length === 0) throw badRequest('operations must be a non-empty array', 'operations');
        if (body.operations.length > MAX_OPERATIONS) throw badRequest(`operations has ${body.operations.length} entries; at most ${MAX_OPERATIONS}`, 'operations');
        const operations: Operation[] = [];
        for (const [index, raw] of (body.operations as unknown[]).entries()) {
          operations.push(await parseOperation(context.db, declaration, catalog, raw, `operations[${index}]`));
        }
        return idempotentWrite(context.db, store, client, key, 'cadastro', text, (tx) => applyOperations(tx, store, operations));
      },
    },
  ];
}
