import type { ParseResult } from '../parse-result.js';

/** A terminal registered from PDV_TOKENS at start (demo and development only). */
export interface BootstrapPdv {
  pdvId: string;
  lojaId: number;
  token: string;
}

const PDV_ID = /^[A-Za-z0-9._-]{1,32}$/;
const LOJA_ID = /^[1-9]\d{0,8}$/;
// RFC 6750 b64token: what a bearer token may contain.
export const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MIN_TOKEN_LENGTH = 16;

/**
 * Parses `pdvId:lojaId:token,...`. Messages never quote the token: the whole variable is a secret.
 */
export function parsePdvTokens(raw: string | undefined): ParseResult<BootstrapPdv[]> {
  const pdvs: BootstrapPdv[] = [];
  if (raw === undefined) return { ok: true, value: pdvs };
  const entries = raw.split(',').map((part) => part.trim()).filter((part) => part !== '');
  for (const [index, entry] of entries.entries()) {
    const [pdvId = '', lojaId = '', token = '', ...rest] = entry.split(':');
    const position = `entry ${index + 1}`;
    if (rest.length > 0 || !PDV_ID.test(pdvId)) {
      return { ok: false, message: `expected pdvId:lojaId:token entries separated by commas; ${position} does not start with a valid PDV id` };
    }
    if (!LOJA_ID.test(lojaId)) return { ok: false, message: `expected a positive loja id after the PDV id; ${position} (${pdvId}) has none` };
    if (token.length < MIN_TOKEN_LENGTH || !BEARER_TOKEN.test(token)) {
      return { ok: false, message: `expected a token of at least ${MIN_TOKEN_LENGTH} letters, digits or -._~+/ characters; ${position} (${pdvId}) has another` };
    }
    if (pdvs.some((pdv) => pdv.pdvId === pdvId)) return { ok: false, message: `expected each PDV once; ${pdvId} appears twice` };
    pdvs.push({ pdvId, lojaId: Number(lojaId), token });
  }
  return { ok: true, value: pdvs };
}
