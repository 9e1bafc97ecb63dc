import { driverErrorFacts, type Database } from '@goldpdv/core';
import { issueToken } from './issue-token.js';
import { PdvRefusal } from './pdv-refusal.js';
import type { PdvRecord, PdvStore } from './pdv-store.js';

/**
 * The PDV registry's admin operations (`central-api pdv ...`). Each runs in one transaction: it changes what it
 * says, or nothing. Tokens are issued here and returned once; only their hash reaches the database.
 */
export interface NewPdv {
  pdvId: string;
  lojaId: number;
  label: string | null;
}

export interface IssuedPdv {
  pdvId: string;
  lojaId: number;
  /** Shown once. */
  token: string;
}

/** The PDV_ID rule of the daemons (core's pdvIdentityEnv) and the width of sync_pdv.pdv_id. */
export const PDV_ID_PATTERN = /^[A-Za-z0-9._-]{1,32}$/;
const MAX_LABEL_LENGTH = 100;
const MAX_LOJA_ID = 2_147_483_647;

/** Registers new PDVs, all or none: a duplicate id or a loja that does not exist refuses the whole batch. */
export async function addPdvs(db: Database, store: PdvStore, pdvs: readonly NewPdv[]): Promise<IssuedPdv[]> {
  const seen = new Set<string>();
  for (const pdv of pdvs) {
    checkNewPdv(pdv);
    if (seen.has(pdv.pdvId)) throw new PdvRefusal(`PDV ${pdv.pdvId} appears twice in the batch; nothing was registered`);
    seen.add(pdv.pdvId);
  }
  const batch = pdvs.length > 1 ? '; nothing was registered' : '';
  try {
    return await db.transaction(async (tx) => {
      const lojas = new Map<number, boolean>();
      const issued: IssuedPdv[] = [];
      for (const pdv of pdvs) {
        if (!lojas.has(pdv.lojaId)) lojas.set(pdv.lojaId, await store.lojaExists(tx, pdv.lojaId));
        if (!lojas.get(pdv.lojaId)) throw new PdvRefusal(`loja ${pdv.lojaId} (of ${pdv.pdvId}) is not in the loja table${batch}`);
        const existing = await store.lockById(tx, pdv.pdvId);
        if (existing) throw alreadyRegistered(existing, batch);
        const { token, hash } = issueToken();
        await store.insert(tx, { pdvId: pdv.pdvId, lojaId: pdv.lojaId, tokenHash: hash, label: pdv.label });
        issued.push({ pdvId: pdv.pdvId, lojaId: pdv.lojaId, token });
      }
      return issued;
    });
  } catch (error) {
    // Two admins adding the same new id at once: the primary key refuses the second one.
    if (isDuplicateKey(error)) throw new PdvRefusal(`a PDV of this batch was registered meanwhile by someone else${batch || '; nothing was registered'}`, { cause: error });
    throw error;
  }
}

export interface ActiveChange {
  pdv: PdvRecord;
  /** False when the PDV already was in the state asked for. */
  changed: boolean;
}

/** Deactivates a PDV: its token is refused (by every replica once its cached lookup expires). */
export function revokePdv(db: Database, store: PdvStore, pdvId: string): Promise<ActiveChange> {
  return setActive(db, store, pdvId, false);
}

/** Re-activates a revoked PDV with the token it had. */
export function activatePdv(db: Database, store: PdvStore, pdvId: string): Promise<ActiveChange> {
  return setActive(db, store, pdvId, true);
}

/** Issues a new token to a PDV; the old one stops working (once the replicas' cached lookups expire). */
export async function rotatePdvToken(db: Database, store: PdvStore, pdvId: string): Promise<{ pdv: PdvRecord; token: string }> {
  return db.transaction(async (tx) => {
    const pdv = await registered(tx, store, pdvId);
    const { token, hash } = issueToken();
    await store.replaceToken(tx, pdvId, hash);
    return { pdv, token };
  });
}

/** Moves a PDV to another loja: from the next uncached token lookup, it is served and checked as that loja's. */
export async function movePdv(db: Database, store: PdvStore, pdvId: string, lojaId: number): Promise<{ pdv: PdvRecord; fromLojaId: number }> {
  checkLojaId(lojaId);
  return db.transaction(async (tx) => {
    const pdv = await registered(tx, store, pdvId);
    if (pdv.lojaId === lojaId) throw new PdvRefusal(`PDV ${pdvId} is in loja ${lojaId} already; nothing changed`);
    if (!(await store.lojaExists(tx, lojaId))) throw new PdvRefusal(`loja ${lojaId} is not in the loja table; PDV ${pdvId} stays in loja ${pdv.lojaId}`);
    await store.moveToLoja(tx, pdvId, lojaId);
    return { pdv: { ...pdv, lojaId }, fromLojaId: pdv.lojaId };
  });
}

async function setActive(db: Database, store: PdvStore, pdvId: string, active: boolean): Promise<ActiveChange> {
  return db.transaction(async (tx) => {
    const pdv = await registered(tx, store, pdvId);
    if (pdv.active === active) return { pdv, changed: false };
    await store.setActive(tx, pdvId, active);
    return { pdv: { ...pdv, active }, changed: true };
  });
}

async function registered(tx: Parameters<PdvStore['lockById']>[0], store: PdvStore, pdvId: string): Promise<PdvRecord> {
  checkPdvId(pdvId);
  const pdv = await store.lockById(tx, pdvId);
  if (!pdv) throw new PdvRefusal(`no PDV ${pdvId} in the registry (central-api pdv list shows the registered ones)`);
  return pdv;
}

function checkNewPdv(pdv: NewPdv): void {
  checkPdvId(pdv.pdvId);
  checkLojaId(pdv.lojaId);
  if (pdv.label !== null && pdv.label.length > MAX_LABEL_LENGTH) {
    throw new PdvRefusal(`the label of ${pdv.pdvId} has ${pdv.label.length} characters; at most ${MAX_LABEL_LENGTH} fit`);
  }
}

function checkPdvId(pdvId: string): void {
  if (!PDV_ID_PATTERN.test(pdvId)) {
    throw new PdvRefusal(`${JSON.stringify(pdvId)} is not a PDV id: expected 1 to 32 letters, digits, dots, dashes or underscores (the PDV's PDV_ID)`);
  }
}

function checkLojaId(lojaId: number): void {
  if (!Number.isInteger(lojaId) || lojaId < 1 || lojaId > MAX_LOJA_ID) throw new PdvRefusal(`${lojaId} is not a loja id: expected a positive integer`);
}

function alreadyRegistered(pdv: PdvRecord, batch: string): PdvRefusal {
  const state = pdv.active ? 'active' : 'revoked';
  return new PdvRefusal(`PDV ${pdv.pdvId} is registered already (loja ${pdv.lojaId}, ${state}); pdv rotate-token ${pdv.pdvId} issues it a new token${batch}`);
}

function isDuplicateKey(error: unknown): boolean {
  const facts = driverErrorFacts(error);
  // PostgreSQL unique_violation; SQL Server 2627 (PRIMARY KEY / UNIQUE constraint) and 2601 (unique index).
  return facts.sqlState === '23505' || facts.number === 2627 || facts.number === 2601;
}
