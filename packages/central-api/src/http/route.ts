import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { PermanentError } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a handler sees of a request. The body is read on demand, so that auth can refuse it before it is read. */
export interface RouteRequest {
  method: HttpMethod;
  /** The path without its query string, e.g. /v1/events/3f2b... */
  path: string;
  /** Values of the `{name}` segments of the route's path, already URL-decoded. */
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Child logger carrying the request id. */
  log: CentralLogger;
  /** The body as UTF-8 text (gzip undone, size-limited, Content-Type checked); see read-body.ts. */
  readText(): Promise<string>;
  /** readText, then JSON.parse; a syntax error is a 400 problem. */
  readJson(): Promise<unknown>;
  /** The raw message, for what the fields above do not cover. */
  raw: IncomingMessage;
}

export interface RouteResponse {
  status: number;
  /** Serialised as JSON unless it is a string with `contentType` set, or JsonParts (sent as its parts join). Omitted means no body. */
  body?: unknown;
  /** Default application/json; application/problem+json for problems. */
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One endpoint. A feature contributes a list of these (see routes.ts); the server matches method and path and
 * turns a thrown HttpProblem into a problem+json answer, so a handler only returns its success.
 */
export interface Route {
  method: HttpMethod;
  /** Literal segments and `{param}` segments, e.g. /v1/events/{eventId}. */
  path: string;
  handle(request: RouteRequest): Promise<RouteResponse> | RouteResponse;
}

interface CompiledRoute {
  route: Route;
  segments: readonly string[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'wrong-method'; allowed: HttpMethod[] }
  | { kind: 'not-found' };

const PARAM_SEGMENT = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** A small route table: exact segment match, `{name}` matches one non-empty segment. */
export class RouteTable {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: splitPath(route.path) }));
    const seen = new Set<string>();
    for (const { route } of this.compiled) {
      const key = `${route.method} ${route.path}`;
      if (seen.has(key)) throw new PermanentError(`route declared twice: ${key}`, { context: { route: key } });
      seen.add(key);
    }
  }

  match(method: string, path: string): RouteMatch {
    const segments = splitPath(path);
    const allowed: HttpMethod[] = [];
    for (const candidate of this.compiled) {
      const params = matchSegments(candidate.segments, segments);
      if (params === null) continue;
      if (candidate.route.method === method) return { kind: 'found', route: candidate.route, params };
      allowed.push(candidate.route.method);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'not-found' };
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | null {
  if (pattern.length !== actual.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i]!;
    const segment = actual[i]!;
    const param = PARAM_SEGMENT.exec(expected);
    if (param) {
      const decoded = safeDecode(segment);
      if (decoded === null) return null;
      params[param[1]!] = decoded;
    } else if (expected !== segment) {
      return null;
    }
  }
  return params;
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
