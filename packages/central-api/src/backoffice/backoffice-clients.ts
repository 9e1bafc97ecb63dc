import type { Queryable } from '@goldpdv/core';
import { issueToken } from '../pdv/issue-token.js';
import type { BackofficeStore } from './backoffice-store.js';

const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A refusal of a back-office admin command, one line for the operator. */
export class BackofficeClientRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackofficeClientRefusal';
  }
}

/** Registers a back-office client and returns its token, which is never stored (only its sha256). */
export async function addBackofficeClient(db: Queryable, store: BackofficeStore, name: string): Promise<string> {
  if (!CLIENT_NAME.test(name)) throw new BackofficeClientRefusal(`back-office client name "${name.slice(0, 80)}" must be 1 to 64 letters, digits, . _ -`);
  const exists = (await db.query<{ name: string }>(store.sql.listClients)).rows.some((row) => row.name === name);
  if (exists) throw new BackofficeClientRefusal(`back-office client "${name}" exists already; revoke it or choose another name`);
  const { token, hash } = issueToken();
  await db.query(store.sql.insertClient, [name, hash]);
  return token;
}

/** Refuses (false) or accepts again (true) a client's token; false when there is no such client. */
export async function setBackofficeClientActive(db: Queryable, store: BackofficeStore, name: string, active: boolean): Promise<boolean> {
  const flag = db.dialect === 'mssql' ? (active ? 1 : 0) : active;
  return (await db.query(store.sql.setClientActive, [name, flag])).rowCount === 1;
}
