import { createHmac, timingSafeEqual } from 'node:crypto';
import type { TokenKey, TokenKeyring } from './token-keyring.js';

/**
 * The proof that a client loaded a table's initial data. Change Tracking (and its PostgreSQL emulation) cannot
 * tell "changes since version 0" from "every row": a table whose tracking began while it already held rows has
 * a minimum valid version of 0 on a database whose tracking was just turned on, so CHANGETABLE(CHANGES t, 0)
 * passes the validity check and returns only what changed afterwards. A client that never took a snapshot (a
 * new PDV, a table new in its mapping, an old or hand-edited checkpoint) would silently miss every older row.
 *
 * So the last page of a snapshot hands the client a signed token (the Sync-Token response header) and every
 * GET /v1/changes must carry it back (the Sync-Token request header); without a valid one the answer is 410,
 * and the client takes the snapshot. The server stays stateless: the token says all it needs.
 *
 * A token binds the table, the loja whose rows a filtered snapshot held (null on an unfiltered table), the
 * snapshot's version, and the incarnation of the database it was read from (db/incarnation.ts): after a restore
 * or a failover every token is refused, and every table is loaded again. It does not bind `since`: a client asking from below its snapshot only gets more changes
 * than it needs. The version-0 edge (a snapshot taken while the Change Tracking version is still 0) is thus no
 * edge at all: its token says base 0, and deltas from 0 carry it.
 *
 * Text form: `v1.<key id>.<claims>.<mac>`, the claims as base64url JSON and the mac as base64url
 * HMAC-SHA256 of `v1.<key id>.<claims>` under the key (token-keyring.ts).
 */
export interface SyncTokenClaims {
  table: string;
  /** The loja of a filtered snapshot; null when the table has no row filter. */
  loja: number | null;
  /** The snapshot's version. */
  base: string;
  /** The incarnation of the central database the snapshot was read from. */
  incarnation: string;
}

export type SyncTokenReading = { valid: true; claims: SyncTokenClaims; keyId: number } | { valid: false; why: string };

/** Far above what the server issues (about 150 characters), and the size of the PDV's column for it. */
export const MAX_SYNC_TOKEN_LENGTH = 1_000;
const VERSION = 'v1';
const SHAPE = /^v1\.(\d{1,9})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

export interface SyncTokens {
  /** A token for these claims, signed with the newest key. */
  issue(claims: SyncTokenClaims): Promise<string>;
  /**
   * A valid token as the answer hands it back: the same text when the newest key signed it (issuing it again
   * would give the same text, as the MAC is deterministic), otherwise its claims signed with the newest key.
   */
  renew(token: string, reading: ValidReading): Promise<string>;
  /** The claims of a token this server (or a replica sharing its keys) issued; why not, otherwise. */
  read(token: string | null): Promise<SyncTokenReading>;
  /**
   * read and renew at once, without waiting, for a token found valid lately whose key is still the newest and
   * known without a read of the keys: its reading, and the token to hand back (itself). Null otherwise: read and
   * renew then tell (a token never seen, a key rotated or gone, keys to read again).
   */
  readKept(token: string): { reading: ValidReading; renewed: string } | null;
}

const mac = (key: TokenKey, signed: string): Buffer => createHmac('sha256', key.secret).update(signed, 'utf8').digest();

/**
 * Tokens found valid lately, kept so that a PDV's token is not checked again (base64, HMAC, JSON) on every answer
 * a change wakes it for; bounded, the least recently used going first. A kept token is still refused at once
 * when its key is gone or changed. Sized for a replica's whole fleet: each PDV holds one token per table it
 * pulls (8 in the sample schema), so 5,000 PDVs on a replica hold 40,000; a bound below that would miss on every
 * answer of a change that wakes them all (each pushing out the next one due). About half a KB an entry.
 */
const VERIFIED_KEPT = 100_000;

export type ValidReading = Extract<SyncTokenReading, { valid: true }>;

export function createSyncTokens(keyring: TokenKeyring): SyncTokens {
  type Verified = { reading: ValidReading; secret: Buffer };
  const verified = new Map<string, Verified>();
  /** Kept at the most recent end, the least recently used going first once the map is full. */
  const keepVerified = (token: string, entry: Verified): void => {
    verified.delete(token);
    if (verified.size >= VERIFIED_KEPT) verified.delete(verified.keys().next().value!);
    verified.set(token, entry);
  };
  const check = async (token: string): Promise<SyncTokenReading> => {
    const match = token.length <= MAX_SYNC_TOKEN_LENGTH ? SHAPE.exec(token) : null;
    if (!match) return { valid: false, why: 'the Sync-Token is not one this server issues' };
    const [, keyText, payload, signature] = match;
    const key = await keyring.keyById(Number(keyText));
    if (!key) return { valid: false, why: `the Sync-Token was signed with key ${keyText}, which this server no longer has` };
    const expected = mac(key, `${VERSION}.${keyText}.${payload}`);
    const given = Buffer.from(signature!, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { valid: false, why: 'the Sync-Token signature does not match' };
    const claims = claimsOf(payload!);
    if (!claims) return { valid: false, why: 'the Sync-Token claims are malformed' };
    const reading: ValidReading = { valid: true, claims, keyId: key.id };
    keepVerified(token, { reading, secret: key.secret });
    return reading;
  };
  const issue = async (claims: SyncTokenClaims): Promise<string> => {
    const key = await keyring.signingKey();
    const payload = Buffer.from(JSON.stringify({ t: claims.table, l: claims.loja, b: claims.base, i: claims.incarnation }), 'utf8').toString('base64url');
    const signed = `${VERSION}.${key.id}.${payload}`;
    return `${signed}.${mac(key, signed).toString('base64url')}`;
  };
  return {
    issue,
    async renew(token, reading) {
      return reading.keyId === (await keyring.signingKey()).id ? token : issue(reading.claims);
    },
    async read(token) {
      if (token === null || token === '') return { valid: false, why: 'no Sync-Token header' };
      const known = verified.get(token);
      if (known !== undefined) {
        const key = await keyring.keyById(known.reading.keyId);
        if (key !== undefined && key.secret.equals(known.secret)) {
          // Moved to the most recent end after the wait, in one step: a change wakes many readers of one token at
          // once, and an entry taken out across the await would send all but the first to the full check.
          keepVerified(token, known);
          return known.reading;
        }
        verified.delete(token);
      }
      return check(token);
    },
    readKept(token) {
      const known = verified.get(token);
      const keys = known === undefined ? null : keyring.freshKeys();
      if (known === undefined || keys === null) return null;
      const newest = keys.at(-1);
      // Signed by the newest key, unchanged: handed back as it is (renew's first case). Any other case goes the long way.
      if (newest === undefined || newest.id !== known.reading.keyId || !newest.secret.equals(known.secret)) return null;
      keepVerified(token, known);
      return { reading: known.reading, renewed: token };
    },
  };
}

function claimsOf(payload: string): SyncTokenClaims | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { t, l, b, i } = parsed as Record<string, unknown>;
  if (typeof t !== 'string' || typeof b !== 'string' || !/^\d{1,19}$/.test(b) || typeof i !== 'string') return null;
  if (l !== null && !(typeof l === 'number' && Number.isSafeInteger(l))) return null;
  return { table: t, loja: l, base: b, incarnation: i };
}
