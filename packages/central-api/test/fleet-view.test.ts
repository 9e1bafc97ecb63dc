import { parseEnv, tokenHash, type PdvStatusReport } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../src/config.js';
import { describeBackends } from '../../core/test/support/backends.js';
import { parseExposition } from '../../core/test/support/prometheus-text.js';
import { storesFor } from '../src/dialect-stores.js';
import { FLEET_STATES, type FleetEntry } from '../src/pdv/fleet.js';
import { startAdminRig, type AdminRig } from './support/admin-rig.js';
import { pullReport, pushReport } from './support/fleet-rig.js';
import { send } from './support/http-client.js';

const ADMIN_TOKEN = 'admin-token-of-the-fleet-page-0123';
const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);

/**
 * One PDV per state (two silent, two behind), written straight into the registry and the report table with
 * known times, and the order every reader of the fleet must show them in.
 */
const EXPECTED_ORDER = [
  ['loja01-quiet20m', 'silent'],
  ['loja01-never', 'silent'],
  ['loja01-refused', 'auth-refused'],
  ['loja02-unreachable', 'unreachable-long'],
  ['loja01-dead', 'dead-letters'],
  ['loja01-lag60m', 'behind'],
  ['loja02-outbox40m', 'behind'],
  ['loja01-fine', 'ok'],
  ['loja02-revoked', 'revoked'],
] as const;

async function seedFleet(rig: AdminRig): Promise<void> {
  const lojaOf = (pdvId: string) => (pdvId.startsWith('loja02') ? 2 : 1);
  for (const [pdvId] of EXPECTED_ORDER) {
    const label = pdvId === 'loja01-fine' ? '<script>alert("x")</script> & caixa 1' : null;
    await rig.exec('INSERT INTO sync_pdv (pdv_id, loja_id, token_hash, active, label) VALUES ($1, $2, $3, $4, $5)', [pdvId, lojaOf(pdvId), tokenHash(`token-${pdvId}-xxxxxxxxxxxx`), pdvId !== 'loja02-revoked', label]);
  }
  const at = (pdvId: string, report: PdvStatusReport, receivedAt = minutesAgo(1)) => ({ pdvId, daemon: report.daemon, receivedAt, report: JSON.stringify(report) });
  const refused = pushReport({ centralState: 'auth-refused' });
  refused.health.centralDownSince = minutesAgo(10).toISOString();
  const unreachable = pullReport({ centralState: 'unreachable-long' });
  unreachable.health.centralDownSince = minutesAgo(50).toISOString();
  await storesFor(rig.db.dialect).statusReports.upsert(rig.db, [
    at('loja01-quiet20m', pullReport(), minutesAgo(20)),
    at('loja01-refused', refused),
    at('loja02-unreachable', unreachable),
    at('loja01-dead', pushReport({ deadLetters: 2, pending: 1, oldestAge: 5 })),
    at('loja01-dead', pullReport()),
    at('loja01-lag60m', pullReport({ lagSeconds: 3_600, clock: new Date(minutesAgo(1).getTime() + 10 * 60_000).toISOString() })),
    at('loja02-outbox40m', pushReport({ pending: 12, oldestAge: 40 * 60 })),
    at('loja01-fine', pullReport()),
    at('loja01-fine', pushReport()),
    at('loja02-revoked', pullReport()),
  ]);
  await storesFor(rig.db.dialect).pdvs.recordLastSeen(rig.db, [{ pdvId: 'loja01-quiet20m', seenAt: minutesAgo(19) }]);
}

describeBackends('the fleet view: one judgement, listed by urgency everywhere', (backend) => {
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig(backend, { ADMIN_TOKEN });
    await seedFleet(rig);
  });
  afterAll(async () => {
    await rig.close();
  });

  it('central-api fleet --json lists each PDV in its state, most urgent first, with the counts', async () => {
    const run = await rig.cli(['fleet', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { counts, pdvs } = JSON.parse(run.stdout) as { counts: Record<string, number>; pdvs: FleetEntry[] };
    expect(pdvs.map((pdv) => [pdv.pdvId, pdv.state])).toEqual(EXPECTED_ORDER);
    expect(counts).toEqual({ silent: 2, 'auth-refused': 1, 'unreachable-long': 1, 'dead-letters': 1, behind: 2, ok: 1, revoked: 1 });
    const byId = new Map(pdvs.map((pdv) => [pdv.pdvId, pdv]));
    expect(byId.get('loja01-quiet20m')!.reason).toMatch(/^nothing heard for 19 min/);
    expect(byId.get('loja01-refused')!.reason).toMatch(/push-service reports: central refuses its token \(401\/403\) for 10 min/);
    expect(byId.get('loja01-lag60m')!.reason).toMatch(/table produto last up to date 1 h 1 min ago/);
    expect(byId.get('loja02-outbox40m')!.reason).toMatch(/oldest pending event waits for 41 min( \d+ s)? \(12 pending\)/);
    expect(byId.get('loja01-dead')!.syncState!.summary).toMatch(/push 1\.2\.3: 1 pending \(oldest 5 s\), 2 dead$/);
    expect(byId.get('loja01-fine')!.syncState!.pull!.pull.tables[0]!.version).toBe('42');
    // A PDV clock ten minutes ahead of central's is said; one in step is not.
    expect(byId.get('loja01-lag60m')!.syncState).toMatchObject({ clockSkewSeconds: 600, summary: expect.stringMatching(/; PDV clock 10 min ahead$/) });
    expect(byId.get('loja01-fine')!.syncState!.summary).not.toMatch(/PDV clock/);
  });

  it('central-api fleet prints the same order as a table; --loja keeps one loja; pdv list shows the same states', async () => {
    const human = await rig.cli(['fleet']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^state\s+pdv\s+loja\s+for\s+last heard \(UTC\)\s+why\s+sync state$/);
    expect(lines.slice(1, -1).map((line) => line.split(/\s+/).slice(0, 2))).toEqual(EXPECTED_ORDER.map(([pdv, state]) => [state, pdv]));
    expect(lines.at(-1)).toBe('9 PDV(s): 2 silent, 1 auth-refused, 1 unreachable-long, 1 dead-letters, 2 behind, 1 ok, 1 revoked');

    const loja2 = JSON.parse((await rig.cli(['fleet', '--json', '--loja', '2'])).stdout) as { pdvs: FleetEntry[] };
    expect(loja2.pdvs.map((pdv) => pdv.pdvId)).toEqual(['loja02-unreachable', 'loja02-outbox40m', 'loja02-revoked']);

    const list = JSON.parse((await rig.cli(['pdv', 'list', '--json'])).stdout) as FleetEntry[];
    expect(list.map((pdv) => [pdv.pdvId, pdv.state])).toEqual(EXPECTED_ORDER);
    expect((await rig.cli(['fleet', 'extra'])).code).toBe(64);
  });

  it('the gauge counts PDVs by state only, from the same judgement', async () => {
    const metrics = await send(rig.api.adminPort, '/metrics');
    const text = parseExposition(metrics.text);
    for (const state of FLEET_STATES) expect(text.value('goldpdv_fleet_pdvs', { state }), state).toBe({ silent: 2, behind: 2 }[state as string] ?? 1);
    expect(metrics.text).not.toMatch(/goldpdv_fleet_pdvs\{[^}]*pdv/);
  });

  it('the fleet page needs the admin token, lists the same order and escapes every value', async () => {
    expect((await send(rig.api.adminPort, '/fleet')).status).toBe(401);
    const wrong = await send(rig.api.adminPort, '/fleet', { headers: { authorization: 'Bearer not-the-admin-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer/);
    const page = await send(rig.api.adminPort, '/fleet', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect([...page.text.matchAll(/<tr data-pdv="([^"]+)" data-state="([^"]+)">/g)].map((m) => [m[1], m[2]])).toEqual(EXPECTED_ORDER);
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; caixa 1');
    expect(page.text).not.toContain('<script>');
  });
});

describeBackends('the fleet page without ADMIN_TOKEN', (backend) => {
  it('is not served, and says how to turn it on', async () => {
    const rig = await startAdminRig(backend);
    try {
      const page = await send(rig.api.adminPort, '/fleet', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(page.status).toBe(404);
      expect(page.text).toMatch(/set ADMIN_TOKEN/);
    } finally {
      await rig.close();
    }
  });
});

describe('the fleet variables', () => {
  it('a bad value names its variable; an empty ADMIN_TOKEN= line leaves the page off', () => {
    const parse = (env: Record<string, string>) => parseEnv(centralEnvSchema, env, CENTRAL_SECRET_VARIABLES);
    expect(() => parse({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: expected at least 16 characters/);
    expect(() => parse({ FLEET_SILENT_MINUTES: '0' })).toThrow(/FLEET_SILENT_MINUTES/);
    expect(() => parse({ FLEET_FLUSH_INTERVAL_MS: 'soon' })).toThrow(/FLEET_FLUSH_INTERVAL_MS/);
    expect(parse({ ADMIN_TOKEN: '' }).ADMIN_TOKEN).toBeUndefined();
    expect(parse({})).toMatchObject({ FLEET_FLUSH_INTERVAL_MS: 5_000, FLEET_SILENT_MINUTES: 15, FLEET_BEHIND_MINUTES: 30 });
  });
});
