import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TABLE_PAUSED_TYPE, type ChangesPage, type ColumnDescription, type SnapshotPage, type SyncRow } from '@goldpdv/core';
import { TEST_SYNC_TOKEN } from './pull-fixtures.js';

/**
 * A central API in miniature, for tests of what a PDV does with a catalog that changes under it: a real HTTP
 * server on loopback serving GET /v1/snapshot and /v1/changes from tables kept in memory, each with the columns
 * it serves (a column can be added or taken out mid-run) and a version per change, as the real API would. A table
 * can be paused (409 table-paused). Keys are compared as their JSON text, in insertion order: tests give rows in
 * ascending key order, which is also the local order of the keys they use.
 */
export interface CatalogServer {
  url: string;
  /** Creates a served table (contract name), its key and the columns it serves. */
  table(name: string, keyColumns: readonly string[], columns: readonly ColumnDescription[]): void;
  /** Upserts rows (each holding every column the table may ever serve); each write is a new version. */
  upsert(table: string, rows: readonly SyncRow[]): void;
  /** Serves one more column from now on; rows already there get `fill` as its value (a new column's default). */
  addColumn(table: string, column: ColumnDescription, fill: (row: SyncRow) => SyncRow[string]): void;
  /** Answers 409 table-paused for the table (null: serves it again). */
  pause(table: string, reason: string | null): void;
  /** Requests received, by path and table. */
  requests: { path: string; table: string | null }[];
  close(): Promise<void>;
}

interface ServedTable {
  keyColumns: readonly string[];
  columns: ColumnDescription[];
  rows: Map<string, { row: SyncRow; version: number }>;
  paused: string | null;
}

export async function startCatalogServer(): Promise<CatalogServer> {
  const tables = new Map<string, ServedTable>();
  const requests: CatalogServer['requests'] = [];
  let version = 1;
  const served = (table: ServedTable, row: SyncRow): SyncRow => Object.fromEntries(table.columns.map((column) => [column.name, row[column.name] ?? null]));
  const keyOf = (table: ServedTable, row: SyncRow): SyncRow => Object.fromEntries(table.keyColumns.map((name) => [name, row[name]!]));

  const snapshot = (name: string, table: ServedTable): SnapshotPage => ({
    table: name, snapshotVersion: String(version), keyColumns: [...table.keyColumns], columns: [...table.columns],
    rows: [...table.rows.values()].map((entry) => served(table, entry.row)), hasMore: false, nextCursor: null,
  });
  const changes = (name: string, table: ServedTable, since: number): ChangesPage => ({
    table: name, sinceVersion: String(since), toVersion: String(version), keyColumns: [...table.keyColumns], columns: [...table.columns],
    changes: [...table.rows.values()]
      .filter((entry) => entry.version > since)
      .map((entry) => ({ op: 'upsert' as const, version: String(entry.version), key: keyOf(table, entry.row), row: served(table, entry.row) })),
    hasMore: false, nextCursor: null,
  });

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = url.searchParams.get('table');
    requests.push({ path: url.pathname, table: name });
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json', 'sync-token': TEST_SYNC_TOKEN }).end(JSON.stringify(body));
    if (url.pathname === '/v1/tables') return send(404, { title: 'not here' });
    const table = name === null ? undefined : tables.get(name);
    if (!table || name === null) return send(404, { title: 'unknown table' });
    if (table.paused !== null) return send(409, { type: TABLE_PAUSED_TYPE, title: 'Table paused', status: 409, table: name, reason: table.paused });
    if (url.pathname === '/v1/snapshot') return send(200, snapshot(name, table));
    if (url.pathname === '/v1/changes') return send(200, changes(name, table, Number(url.searchParams.get('since') ?? '0')));
    send(404, { title: 'unknown path' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const get = (name: string): ServedTable => {
    const table = tables.get(name);
    if (!table) throw new Error(`no served table ${name}`);
    return table;
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    table(name, keyColumns, columns) {
      tables.set(name, { keyColumns, columns: [...columns], rows: new Map(), paused: null });
    },
    upsert(name, rows) {
      const table = get(name);
      version += 1;
      for (const row of rows) {
        const key = JSON.stringify(keyOf(table, row));
        table.rows.set(key, { row: { ...table.rows.get(key)?.row, ...row }, version });
      }
    },
    addColumn(name, column, fill) {
      const table = get(name);
      table.columns.push(column);
      // Adding a column changes no row version: Change Tracking does not see an ALTER TABLE.
      for (const entry of table.rows.values()) entry.row = { ...entry.row, [column.name]: fill(entry.row) };
    },
    pause(name, reason) {
      get(name).paused = reason;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
