import type { Database } from '../db/types.js';
import { fail, pass, skip, warn, type CheckResult, type DoctorCheck } from './doctor-check.js';
import { judgeClockSkew } from './clock-skew.js';
import { doctorStatementsFor } from './doctor-sql.js';
import { probeCentral, type CentralProbe, type CentralTarget } from './central-probe.js';

/** Who the central API says the caller is (GET /v1/pdv). */
interface CallerIdentity {
  pdvId: string;
  lojaId: number;
}

export interface CentralChecksOptions {
  target: CentralTarget;
  /** This PDV's PDV_ID: the token must belong to it. */
  pdvId: string;
  /** For the database clock, which stamps the sales. */
  db: Database;
}

export interface CentralChecks {
  /** In order: central URL answers, TLS verifies, token accepted, clock skew. */
  checks: DoctorCheck[];
  /** The answer to GET /v1/tables with this PDV's token (a daemon's own checks read it). */
  tables(): Promise<CentralProbe>;
}

const IDENTITY_PATH = 'v1/pdv';
const TABLES_PATH = 'v1/tables';

/**
 * The central side of a PDV's doctor: one request made as the daemons make theirs (core's HTTP client, the same
 * CA file, TLS setting and HTTPS_PROXY), read by four checks.
 */
export function centralChecks(options: CentralChecksOptions): CentralChecks {
  let identity: Promise<CentralProbe> | undefined;
  let tables: Promise<CentralProbe> | undefined;
  const probeTables = () => (tables ??= probeCentral(options.target, TABLES_PATH));
  // GET /v1/pdv says whom the token belongs to; a central-api from before it answers 404, and /v1/tables still
  // tells whether the token is accepted.
  const probe = () =>
    (identity ??= probeCentral(options.target, IDENTITY_PATH).then((answer) => (answer.kind === 'answered' && answer.response.status === 404 ? probeTables() : answer)));

  const checks: DoctorCheck[] = [
    { name: 'central URL answers', opens: 'central', run: async () => answers(await probe()) },
    { name: 'TLS verifies', run: async () => tls(await probe(), options.target) },
    { name: 'token accepted', needs: 'central', run: async () => token(await probe(), options.pdvId) },
    { name: 'clock skew', needs: 'central', run: async () => clock(await probe(), options.db) },
  ];
  return { checks, tables: probeTables };
}

function answers(probe: CentralProbe): CheckResult {
  if (probe.kind === 'not-configured') return fail(probe.reason, 'point CENTRAL_API_CA_FILE at a readable PEM file (mounted in /etc/goldpdv), or unset it');
  const via = probe.proxy ? ` through the proxy ${probe.proxy}` : '';
  if (probe.kind === 'unreachable') {
    if (probe.tlsCode !== null) return fail(`${origin(probe.url)}${via}: connected, but the TLS handshake failed (${probe.tlsCode})`, 'see the TLS line');
    return fail(
      `${origin(probe.url)}${via} did not answer: ${probe.reason}`,
      'check CENTRAL_API_URL, DNS and the firewall from this machine (curl -v the URL); behind an outbound proxy set HTTPS_PROXY (and NO_PROXY) in .env',
    );
  }
  const status = probe.response.status;
  const took = `${probe.receivedAt - probe.sentAt} ms`;
  if (status === 404) {
    return fail(`${probe.url}${via} answered 404: this is not the GoldPDV central API, or CENTRAL_API_URL has a wrong path`, 'CENTRAL_API_URL is the base URL of central-api, e.g. https://vps.example.com.br (no /v1)');
  }
  if (status >= 500) {
    return fail(
      `${probe.url}${via} answered ${status}${problemText(probe)}`,
      'on the VPS: docker logs goldpdv-central-api and GET /health/ready; a reverse proxy answering 502/504 cannot reach central-api',
    );
  }
  return pass(`${origin(probe.url)}${via} answered ${status} in ${took}`);
}

function tls(probe: CentralProbe, target: CentralTarget): CheckResult {
  if (probe.kind === 'not-configured') return fail(probe.reason, 'point CENTRAL_API_CA_FILE at a readable PEM file, or unset it');
  const secure = new URL(probe.url).protocol === 'https:';
  if (!secure) return warn('CENTRAL_API_URL is plain http: the token and every sale cross the network unencrypted', 'serve central-api behind a TLS reverse proxy and use an https:// CENTRAL_API_URL');
  if (probe.kind === 'unreachable') {
    if (probe.tlsCode === null) return skip(`no TLS handshake happened (${probe.reason})`);
    return fail(`the certificate of ${new URL(probe.url).host} was refused: ${probe.tlsCode}`, tlsFix(probe.tlsCode, target));
  }
  if (!target.tlsVerify) return warn('CENTRAL_API_TLS_VERIFY=false: the certificate is not checked, so anyone in the path can pose as the VPS', 'set CENTRAL_API_TLS_VERIFY=true (with CENTRAL_API_CA_FILE for a private CA)');
  return pass(`the certificate of ${new URL(probe.url).host} is verified against ${target.caFile ? `CENTRAL_API_CA_FILE (${target.caFile})` : "the system's CAs"}`);
}

function tlsFix(code: string, target: CentralTarget): string {
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'the certificate does not name the host of CENTRAL_API_URL: use the name the certificate carries, or reissue it for this name';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return 'renew the VPS certificate, or correct this machine\'s clock if it is far off (see the clock line)';
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') return 'the port does not speak TLS: use http:// for a plain port, or the TLS port of the reverse proxy';
  return target.caFile
    ? `CENTRAL_API_CA_FILE (${target.caFile}) does not hold the CA that signed the VPS certificate: put that CA's PEM there`
    : 'a private or self-signed certificate: set CENTRAL_API_CA_FILE to the PEM of the CA that signed it (mounted in /etc/goldpdv)';
}

function token(probe: CentralProbe, pdvId: string): CheckResult {
  if (probe.kind !== 'answered') return skip('the central API did not answer');
  const { status } = probe.response;
  const onVps = 'on the VPS: central-api pdv list shows whether the PDV is registered and active';
  if (status === 401 || status === 403) {
    return fail(
      `the central API refuses the token (${status}${problemText(probe)})`,
      `${onVps}; central-api pdv rotate-token ${pdvId} issues a new token (put it in CENTRAL_API_TOKEN and recreate the containers); a revoked PDV: central-api pdv activate ${pdvId}`,
    );
  }
  if (status !== 200) return skip(`cannot tell: the central API answered ${status}`);
  if (!probe.url.endsWith(IDENTITY_PATH)) return pass('accepted (this central-api does not say which PDV a token belongs to; it predates GET /v1/pdv)');
  const caller = identityOf(probe.response.body);
  if (caller === null) return warn('accepted, but GET /v1/pdv answered something else than {pdvId, lojaId}', 'check that CENTRAL_API_URL reaches central-api itself');
  if (caller.pdvId !== pdvId) {
    return fail(
      `the token belongs to PDV ${caller.pdvId} (loja ${caller.lojaId}), but PDV_ID is ${pdvId}: every event would be refused (its pdv_id is not the caller's)`,
      `put the token issued to ${pdvId} in CENTRAL_API_TOKEN (central-api pdv rotate-token ${pdvId} issues one), or correct PDV_ID`,
    );
  }
  return pass(`accepted as PDV ${caller.pdvId} of loja ${caller.lojaId}`);
}

async function clock(probe: CentralProbe, db: Database): Promise<CheckResult> {
  if (probe.kind !== 'answered') return skip('the central API did not answer');
  const header = probe.response.headers.date;
  const central = header === undefined ? Number.NaN : Date.parse(header);
  if (Number.isNaN(central)) return warn('the central API sent no Date header, so the clocks cannot be compared', 'a reverse proxy that strips Date: let it through');
  // The header is cut to the second: central's clock was somewhere in [Date, Date + 1 s) when it answered.
  const centralMid = central + 500;
  const localMid = (probe.sentAt + probe.receivedAt) / 2;
  const processSkewMs = localMid - centralMid;
  let databaseSkewMs: number | null = null;
  try {
    const before = Date.now();
    const row = (await db.query<{ now_utc: Date | string }>(doctorStatementsFor(db.dialect).clock)).rows[0];
    const after = Date.now();
    const databaseNow = row ? new Date(row.now_utc).getTime() : Number.NaN;
    if (!Number.isNaN(databaseNow)) databaseSkewMs = databaseNow - (before + after) / 2 + processSkewMs;
  } catch {
    // The database line reports it; the process clock is still worth a verdict.
  }
  return judgeClockSkew({ processSkewMs, databaseSkewMs, uncertaintyMs: (probe.receivedAt - probe.sentAt) / 2 + 500 });
}

function identityOf(body: string): CallerIdentity | null {
  try {
    const parsed = JSON.parse(body) as Partial<CallerIdentity>;
    return typeof parsed.pdvId === 'string' && typeof parsed.lojaId === 'number' ? { pdvId: parsed.pdvId, lojaId: parsed.lojaId } : null;
  } catch {
    return null;
  }
}

function problemText(probe: Extract<CentralProbe, { kind: 'answered' }>): string {
  try {
    const problem = JSON.parse(probe.response.body) as { detail?: unknown; title?: unknown };
    const text = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : null;
    return text === null ? '' : `: ${text.slice(0, 200)}`;
  } catch {
    return '';
  }
}

function origin(url: string): string {
  return new URL(url).origin;
}
