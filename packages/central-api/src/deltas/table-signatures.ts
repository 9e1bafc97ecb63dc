import type { ServedTable } from './served-table.js';

/**
 * Short ids of served tables' descriptions, for keys that are built for every request. The registry hands new
 * objects on every reload, so the description, not the object, is what an id stands for: a column added or a
 * filter changed gets a new id, an unchanged reload keeps the old one.
 */
export class TableSignatures {
  private readonly byTable = new WeakMap<ServedTable, string>();
  /** The id of every description met: one per served description, which changes only when a declaration does. */
  private readonly ids = new Map<string, string>();

  idOf(table: ServedTable): string {
    let id = this.byTable.get(table);
    if (id === undefined) {
      const signature = signatureOf(table);
      id = this.ids.get(signature);
      if (id === undefined) this.ids.set(signature, (id = `t${this.ids.size}`));
      this.byTable.set(table, id);
    }
    return id;
  }
}

/** What a page of a table depends on besides its window: the table and its served columns as the registry describes them now. */
function signatureOf(table: ServedTable): string {
  return JSON.stringify([table.name, table.sqlName, table.keys, table.columns, table.filter]);
}
