import { randomBytes } from 'node:crypto';
import { tokenHash } from '@goldpdv/core';

/** A recognisable prefix: secret scanners and people can tell a GoldPDV token from another string. */
export const TOKEN_PREFIX = 'gpdv_';
const TOKEN_BYTES = 32;

export interface IssuedToken {
  /** Shown once, to the operator; never stored. */
  token: string;
  /** What the registry stores (core's tokenHash: sha256, lowercase hex). */
  hash: string;
}

/** 256 random bits from the operating system's CSPRNG, as base64url: a valid RFC 6750 bearer token. */
export function issueToken(): IssuedToken {
  const token = `${TOKEN_PREFIX}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
  return { token, hash: tokenHash(token) };
}
