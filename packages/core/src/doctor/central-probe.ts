import { walkErrorChain } from '../db/driver-error.js';
import { ConfigError } from '../errors/index.js';
import { readCaFile } from '../http/ca-file.js';
import { createHttpClient, type HttpResponse } from '../http/http-client.js';

/** How a daemon reaches the central API: the same variables it runs with. */
export interface CentralTarget {
  baseUrl: string;
  token: string;
  tlsVerify: boolean;
  caFile: string | undefined;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
}

/** The variables both PDV daemons read to reach the central API. */
export interface CentralEnv {
  CENTRAL_API_URL: string;
  CENTRAL_API_TOKEN: string;
  CENTRAL_API_TLS_VERIFY: boolean;
  CENTRAL_API_CA_FILE?: string | undefined;
}

/** The target a daemon's configuration describes, with that daemon's own timeouts. */
export function centralTargetOf(env: CentralEnv, timeouts: { connectTimeoutMs: number; responseTimeoutMs: number }): CentralTarget {
  return { baseUrl: env.CENTRAL_API_URL, token: env.CENTRAL_API_TOKEN, tlsVerify: env.CENTRAL_API_TLS_VERIFY, caFile: env.CENTRAL_API_CA_FILE, ...timeouts };
}

/** One request to the central API, made the way the daemon makes them (core's HTTP client, proxy, CA, TLS). */
export type CentralProbe =
  | {
      kind: 'answered';
      url: string;
      response: HttpResponse;
      /** Local clock when the request was sent and when the whole answer was read. */
      sentAt: number;
      receivedAt: number;
      proxy: string | null;
    }
  | { kind: 'unreachable'; url: string; reason: string; tlsCode: string | null; proxy: string | null }
  | { kind: 'not-configured'; url: string; reason: string };

/** The node/OpenSSL codes of a certificate the client refused (or could not check). */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/**
 * GET `path` with the bearer token. Never throws: a refused connection, a timeout or a certificate the client does
 * not trust come back as `unreachable` with the reason (and the TLS code, when it is one).
 */
export async function probeCentral(target: CentralTarget, path: string): Promise<CentralProbe> {
  const url = new URL(path, target.baseUrl.endsWith('/') ? target.baseUrl : `${target.baseUrl}/`).toString();
  let ca: string | undefined;
  try {
    ca = target.caFile ? readCaFile(target.caFile) : undefined;
  } catch (error) {
    if (error instanceof ConfigError) return { kind: 'not-configured', url, reason: error.message };
    throw error;
  }
  const client = createHttpClient({
    connectTimeoutMs: target.connectTimeoutMs,
    responseTimeoutMs: target.responseTimeoutMs,
    rejectUnauthorized: target.tlsVerify,
    ca,
    maxSockets: 1,
    maxResponseBytes: 4 * 1024 * 1024,
  });
  const sentAt = Date.now();
  try {
    const response = await client.get(url, { authorization: `Bearer ${target.token}`, accept: 'application/json' });
    return { kind: 'answered', url, response, sentAt, receivedAt: Date.now(), proxy: client.proxy };
  } catch (error) {
    const codes = [...walkErrorChain(error)].map((shape) => shape.code).filter((code): code is string => typeof code === 'string');
    const tlsCode = codes.find((code) => TLS_CODES.has(code)) ?? null;
    const reason = [...walkErrorChain(error)].map((shape) => shape.message).filter((m): m is string => typeof m === 'string').slice(0, 2).join(': ');
    return { kind: 'unreachable', url, reason, tlsCode, proxy: client.proxy };
  } finally {
    client.close();
  }
}
