import { InvalidPullRequestError } from './invalid-pull-request-error.js';
import { MAX_WAIT_TABLES } from '@goldpdv/core';
import { isServedName } from './served-names.js';

/** Query parameters of GET /v1/changes and /v1/snapshot, each refused with a message naming it. */

export const DEFAULT_LIMIT = 500;
export const MAX_LIMIT = 5_000;
const MAX_BIGINT = 9_223_372_036_854_775_807n;

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new InvalidPullRequestError(name, `${name} must be given once`);
  const value = values[0];
  return value === undefined || value === '' ? undefined : value;
}

export function tableParam(query: URLSearchParams): string {
  const value = single(query, 'table');
  if (value === undefined) throw new InvalidPullRequestError('table', 'table is required (GET /v1/tables lists them)');
  if (!isServedName(value)) throw new InvalidPullRequestError('table', 'table must be a lowercase table name');
  return value;
}

export function sinceParam(query: URLSearchParams): bigint {
  const value = single(query, 'since');
  if (value === undefined) throw new InvalidPullRequestError('since', 'since is required: the toVersion of the last applied page, or the snapshotVersion');
  if (!/^\d{1,19}$/.test(value) || BigInt(value) > MAX_BIGINT) {
    throw new InvalidPullRequestError('since', 'since must be a version number (a decimal string of up to 19 digits)');
  }
  return BigInt(value);
}

export function cursorParam(query: URLSearchParams): string | null {
  return single(query, 'cursor') ?? null;
}

function integerParam(query: URLSearchParams, name: string, min: number, max: number, fallback: number): number {
  const value = single(query, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidPullRequestError(name, `${name} must be an integer from ${min} to ${max}`);
  }
  return Number(value);
}

export const limitParam = (query: URLSearchParams): number => integerParam(query, 'limit', 1, MAX_LIMIT, DEFAULT_LIMIT);

/** Milliseconds; a value above the server's maximum is lowered to it, since the client only asks "up to". */
export function waitParam(query: URLSearchParams, maxWaitMs: number): number {
  return Math.min(integerParam(query, 'wait', 0, 999_999_999, 0), maxWaitMs);
}

/** The bounds of `heartbeat` on GET /v1/changes/stream: often enough for proxies' idle timeouts, rare enough to cost nothing. */
export const HEARTBEAT_MIN_MS = 1_000;
export const HEARTBEAT_MAX_MS = 60_000;

/** `heartbeat` of GET /v1/changes/stream: a heartbeat line after each so many ms without a line; 0 (absent): none. */
export function heartbeatParam(query: URLSearchParams): number {
  const value = integerParam(query, 'heartbeat', 0, HEARTBEAT_MAX_MS, 0);
  if (value !== 0 && value < HEARTBEAT_MIN_MS) throw new InvalidPullRequestError('heartbeat', `heartbeat must be 0 or an integer from ${HEARTBEAT_MIN_MS} to ${HEARTBEAT_MAX_MS}`);
  return value;
}

/** `tables` of GET /v1/changes/wait: <table>:<since>,... (each table once, at most MAX_WAIT_TABLES). */
export function waitTablesParam(query: URLSearchParams): { table: string; since: bigint }[] {
  const value = single(query, 'tables');
  if (value === undefined) throw new InvalidPullRequestError('tables', 'tables is required: <table>:<since>,... for each table to wait on');
  const entries = value.split(',');
  if (entries.length > MAX_WAIT_TABLES) throw new InvalidPullRequestError('tables', `tables may name at most ${MAX_WAIT_TABLES} tables`);
  const seen = new Set<string>();
  return entries.map((entry) => {
    const match = /^([^:]+):(\d{1,19})$/.exec(entry);
    if (!match || !isServedName(match[1]!) || BigInt(match[2]!) > MAX_BIGINT) {
      throw new InvalidPullRequestError('tables', 'tables must be <table>:<since>,... with lowercase table names and version numbers');
    }
    if (seen.has(match[1]!)) throw new InvalidPullRequestError('tables', `tables names ${match[1]} twice`);
    seen.add(match[1]!);
    return { table: match[1]!, since: BigInt(match[2]!) };
  });
}

/**
 * The Sync-Tokens header of GET /v1/changes/wait: `<table>=<token>, ...`, each table at most once. Tokens are
 * visible ASCII without commas or spaces (sync-token.ts); a table the wait does not name is refused, so that a
 * header written for another request is noticed. Absent: an empty map.
 */
export function waitSyncTokensParam(header: string | string[] | undefined, tables: readonly { table: string }[]): Map<string, string> {
  const tokens = new Map<string, string>();
  if (header === undefined || header === '') return tokens;
  const text = Array.isArray(header) ? header.join(',') : header;
  const named = new Set(tables.map(({ table }) => table));
  for (const entry of text.split(',')) {
    const match = /^\s*([^=\s]+)=([\x21-\x2b\x2d-\x7e]{1,1000})\s*$/.exec(entry);
    if (!match || !named.has(match[1]!) || tokens.has(match[1]!)) {
      throw new InvalidPullRequestError('Sync-Tokens', 'the Sync-Tokens header must be <table>=<token>, ... naming each waited table at most once');
    }
    tokens.set(match[1]!, match[2]!);
  }
  return tokens;
}
