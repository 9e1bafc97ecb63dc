import type { Database } from '@goldpdv/core';
import { addBackofficeClient } from '../../src/backoffice/backoffice-clients.js';
import { BackofficeStore } from '../../src/backoffice/backoffice-store.js';
import type { Harness } from './central-harness.js';
import type { RawResponse } from './http-client.js';
import { seedProducts } from './stock.js';

export interface BackofficeRig {
  /** The back-office client's token, issued as `central-api backoffice add` does. */
  token: string;
}

/** Products 101..104 and a back-office client; pass it as startHarness's setup. */
export function backofficeSetup(rig: BackofficeRig, products: readonly number[] = [101, 102, 103, 104]): (db: Database) => Promise<void> {
  return async (db) => {
    await seedProducts(db, products);
    rig.token = await addBackofficeClient(db, new BackofficeStore(db.dialect), 'escritorio');
  };
}

/** POSTs a back-office write (checked against openapi.yaml by the harness). */
export function postBackoffice(h: Harness, token: string | null, path: string, key: string | null, body: unknown): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  if (key !== null) headers['idempotency-key'] = key;
  return h.postJson(path, body, { token, headers });
}
