import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { centralChecks } from '../src/doctor/central-checks.js';
import type { CentralTarget } from '../src/doctor/central-probe.js';
import { CLOCK_SKEW_FAIL_MS, CLOCK_SKEW_WARN_MS, judgeClockSkew } from '../src/doctor/clock-skew.js';
import type { DoctorLine } from '../src/doctor/doctor-check.js';
import { runDoctor } from '../src/doctor/run-doctor.js';
import { createPgliteDatabase } from '../src/db/pglite.js';
import type { Database } from '../src/db/types.js';
import { TLS_FIXTURE } from './support/tls-server.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

interface TestServer {
  url: string;
  stop(): Promise<void>;
}

/** A real server on a loopback port (HTTP, or HTTPS with the fixture's self-signed certificate), answering as told. */
async function serve(handler: Handler, tls = false): Promise<TestServer> {
  const server: Server = tls ? createHttpsServer({ cert: readFileSync(TLS_FIXTURE.certFile), key: readFileSync(TLS_FIXTURE.keyFile) }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers }).end(JSON.stringify(body));
};

/** central-api as doctor sees it: GET /v1/pdv names the caller of the one token it knows. */
const centralLike = (options: { token?: string; caller?: unknown; date?: () => string } = {}): Handler => (request, response) => {
  if (options.date) response.setHeader('date', options.date());
  if (request.headers.authorization !== `Bearer ${options.token ?? 'good-token'}`) {
    return json(response, 401, { type: 'urn:goldpdv:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'the token is unknown or its PDV is inactive' }, { 'www-authenticate': 'Bearer realm="goldpdv-central", error="invalid_token"' });
  }
  if (request.url === '/v1/pdv') return json(response, 200, options.caller ?? { pdvId: 'loja01-pdv01', lojaId: 1 });
  if (request.url === '/v1/tables') return json(response, 200, { tables: [] });
  return json(response, 404, { type: 'urn:goldpdv:problem:not-found', title: 'Not Found', status: 404 });
};

const target = (baseUrl: string, overrides: Partial<CentralTarget> = {}): CentralTarget => ({
  baseUrl,
  token: 'good-token',
  tlsVerify: true,
  caFile: undefined,
  connectTimeoutMs: 2_000,
  responseTimeoutMs: 5_000,
  ...overrides,
});

describe('doctor: the central API as a PDV reaches it', () => {
  let db: Database;
  let dir: string;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    db = await createPgliteDatabase({ kind: 'pglite', dataDir: null });
    dir = mkdtempSync(join(tmpdir(), 'gp-doctor-'));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.stop();
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await db.close();
  });

  const started = async (handler: Handler, tls = false) => {
    const server = await serve(handler, tls);
    servers.push(server);
    return server;
  };
  const check = async (over: CentralTarget, pdvId = 'loja01-pdv01') => {
    const report = await runDoctor(centralChecks({ target: over, pdvId, db }).checks);
    return { report, line: (name: string) => report.lines.find((line) => line.check === name) as DoctorLine };
  };

  it('passes against a central API that accepts the token of this PDV, and says plain http is unencrypted', async () => {
    const server = await started(centralLike());
    const { report, line } = await check(target(server.url));
    expect(line('central URL answers')).toMatchObject({ status: 'pass' });
    expect(line('central URL answers').detail).toMatch(/^http:\/\/127\.0\.0\.1:\d+ answered 200 in \d+ ms$/);
    expect(line('TLS verifies')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/plain http/) });
    expect(line('token accepted')).toMatchObject({ status: 'pass', detail: 'accepted as PDV loja01-pdv01 of loja 1' });
    expect(line('clock skew').status).toBe('pass');
    expect(report.broken).toBe(false);
  });

  it('fails on a revoked (refused) token, with the admin commands that fix it', async () => {
    const server = await started(centralLike({ token: 'some-other-token' }));
    const { report, line } = await check(target(server.url));
    expect(line('token accepted')).toMatchObject({ status: 'fail', detail: 'the central API refuses the token (401: the token is unknown or its PDV is inactive)' });
    expect(line('token accepted').fix).toMatch(/central-api pdv rotate-token loja01-pdv01 .*central-api pdv activate loja01-pdv01/);
    expect(report.broken).toBe(true);
  });

  it('fails on a token of another PDV: it is accepted, and every event would then be refused', async () => {
    const server = await started(centralLike({ caller: { pdvId: 'loja01-pdv02', lojaId: 1 } }));
    const { line } = await check(target(server.url));
    expect(line('token accepted')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the token belongs to PDV loja01-pdv02 \(loja 1\), but PDV_ID is loja01-pdv01/) });
  });

  it('falls back to GET /v1/tables on a central-api without GET /v1/pdv', async () => {
    const server = await started((request, response) => (request.url === '/v1/pdv' ? json(response, 404, { type: 'x', title: 'Not Found', status: 404 }) : centralLike()(request, response)));
    const { line } = await check(target(server.url));
    expect(line('token accepted')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^accepted \(this central-api does not say which PDV/) });
  });

  it('fails when the URL answers 404 everywhere (not the central API, or a wrong path)', async () => {
    const server = await started((_request, response) => json(response, 404, { title: 'nope' }));
    const { line } = await check(target(`${server.url}/v1`));
    expect(line('central URL answers')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/answered 404: this is not the GoldPDV central API, or CENTRAL_API_URL has a wrong path/) });
    expect(line('token accepted').status).toBe('skip');
  });

  it('fails when nothing listens, and skips what needs an answer', async () => {
    const server = await started(centralLike());
    const url = server.url;
    await server.stop();
    servers.splice(0);
    const { line } = await check(target(url));
    expect(line('central URL answers')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/did not answer: .*ECONNREFUSED/) });
    expect(line('token accepted')).toMatchObject({ status: 'skip', detail: 'not checked: the central API does not answer' });
    expect(line('clock skew').status).toBe('skip');
  });

  it('fails TLS against a self-signed certificate without CENTRAL_API_CA_FILE, and against a CA that did not sign it', async () => {
    const server = await started(centralLike(), true);
    const bare = await check(target(server.url));
    expect(bare.line('TLS verifies')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^the certificate of 127\.0\.0\.1:\d+ was refused: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/) });
    expect(bare.line('TLS verifies').fix).toMatch(/set CENTRAL_API_CA_FILE/);
    expect(bare.line('central URL answers').detail).toMatch(/connected, but the TLS handshake failed/);

    const wrongCa = join(dir, 'wrong-ca.pem');
    writeFileSync(wrongCa, rootCertificates[0]!);
    const wrong = await check(target(server.url, { caFile: wrongCa }));
    expect(wrong.line('TLS verifies').status).toBe('fail');
    expect(wrong.line('TLS verifies').fix).toMatch(/does not hold the CA that signed the VPS certificate/);
  });

  it('passes TLS with the right CA file, and warns when verification is turned off', async () => {
    const server = await started(centralLike(), true);
    const verified = await check(target(server.url, { caFile: TLS_FIXTURE.certFile }));
    expect(verified.line('TLS verifies')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/is verified against CENTRAL_API_CA_FILE/) });
    expect(verified.report.broken).toBe(false);
    const unverified = await check(target(server.url, { tlsVerify: false }));
    expect(unverified.line('TLS verifies')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/CENTRAL_API_TLS_VERIFY=false/) });
  });

  it('fails when CENTRAL_API_CA_FILE cannot be read', async () => {
    const { line } = await check(target('https://127.0.0.1:1', { caFile: join(dir, 'missing.pem') }));
    expect(line('central URL answers')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/^CENTRAL_API_CA_FILE: expected a readable PEM file/) });
    expect(line('TLS verifies').status).toBe('fail');
  });

  it('warns on a Date header 2 minutes off, and fails on one 10 minutes off', async () => {
    const skewed = (ms: number) => () => new Date(Date.now() + ms).toUTCString();
    const warned = await check(target((await started(centralLike({ date: skewed(-120_000) }))).url));
    expect(warned.line('clock skew')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/this machine \+1[12]\d\.\d s, the database \+1[12]\d\.\d s/) });
    expect(warned.report.broken).toBe(false);
    const failed = await check(target((await started(centralLike({ date: skewed(600_000) }))).url));
    expect(failed.line('clock skew')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/this machine -(59\d|60\d)\.\d s.*per-day reconciliation/) });
    expect(failed.report.broken).toBe(true);
  });
});

describe('doctor: the clock skew verdict', () => {
  it.each([
    [0, null, 'pass'],
    [CLOCK_SKEW_WARN_MS + 1_000, null, 'pass'],
    [CLOCK_SKEW_WARN_MS + 2_000, null, 'warn'],
    [1_000, CLOCK_SKEW_WARN_MS + 2_000, 'warn'],
    [-(CLOCK_SKEW_FAIL_MS + 2_000), null, 'fail'],
  ] as const)('process %i ms, database %s ms: %s (beyond a 1 s uncertainty)', (processSkewMs, databaseSkewMs, status) => {
    expect(judgeClockSkew({ processSkewMs, databaseSkewMs, uncertaintyMs: 1_000 }).status).toBe(status);
  });
});
