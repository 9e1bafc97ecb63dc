import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends, type TestDatabase } from '../../packages/core/test/support/backends.js';
import { REPO_ROOT } from '../../packages/core/test/support/spawn-daemon.js';
import { BUNDLED_EVENTS_FILE } from '../src/config.js';
import { loadEventsDeclaration } from '../src/events/declaration/load-declaration.js';
import { captureTriggers } from '../src/events/generate/events-script.js';
import { registerPdv, runNode, startAdminRig, type AdminRig, type RegisteredPdv } from '../../packages/central-api/test/support/admin-rig.js';

const PUSH_CLI = `${REPO_ROOT}/push-service/dist/cli.js`;
// The capture triggers the bundled declaration generates: what the doctor expects.
const MODEL = loadEventsDeclaration(BUNDLED_EVENTS_FILE);
const PDV_ID = 'loja01-pdv01';

describeBackends('push-service doctor (the CLI, as a child process)', (backend) => {
  const dialect = backend.name === 'mssql' ? 'mssql' : 'postgres';
  const CAPTURES = captureTriggers(MODEL, dialect);
  // venda's insert trigger: the one a sale goes through.
  const VENDA_CAPTURE = CAPTURES.find((capture) => capture.table === 'venda')!.trigger;
  let central: AdminRig;
  let registered: RegisteredPdv;
  let pdv: TestDatabase;
  let token: string;
  beforeAll(async () => {
    central = await startAdminRig(backend);
    registered = await registerPdv(central, backend, PDV_ID, 1);
    ({ pdv, token } = registered);
    // As push-service does at start: the capture triggers generated from the (bundled) events declaration.
    const applied = await runNode(PUSH_CLI, ['outbox-triggers', 'apply'], registered.env);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await registered?.pdv.dispose();
    await central?.close();
  });

  const doctor = (env: Record<string, string> = {}, args: string[] = []) => runNode(PUSH_CLI, ['doctor', ...args], { ...registered.env, ...env });
  const lines = (stdout: string) => stdout.trim().split('\n');

  it('passes on a PDV with its schema, its triggers and a token central accepts: one line per check, exit 0', async () => {
    const run = await doctor();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = lines(run.stdout);
    expect(out.slice(0, -1).map((line) => /^(PASS|WARN|FAIL|SKIP) {2}([a-zA-Z ]+)/.exec(line)?.slice(1).join(' '))).toEqual([
      'PASS database answers',
      'PASS compatibility level',
      'PASS permissions',
      'PASS schema changes',
      'PASS outbox triggers',
      'PASS central URL answers',
      'WARN TLS verifies',
      'PASS token accepted',
      'PASS clock skew',
      'PASS database size',
    ]);
    expect(out).toContain('PASS  permissions: every permission granted on 2 object(s): sync_outbox, sync_dead_letter');
    expect(run.stdout).toMatch(new RegExp(`^PASS {2}outbox triggers: ${CAPTURES.length} installed and enabled: .*venda\\.${VENDA_CAPTURE}`, 'm'));
    expect(run.stdout).toContain(`PASS  token accepted: accepted as PDV ${PDV_ID} of loja 1`);
    expect(run.stdout).toMatch(/^WARN {2}TLS verifies: CENTRAL_API_URL is plain http.* Fix: serve central-api behind a TLS reverse proxy/m);
    expect(out.at(-1)).toBe('push-service doctor: 9 passed, 1 warning(s), 0 failed, 0 skipped: nothing breaks syncing; read the WARN lines');
  });

  it('fails (exit 1) on a disabled outbox trigger, naming the statement that enables it', async () => {
    await pdv.db.query(`ALTER TABLE venda DISABLE TRIGGER ${VENDA_CAPTURE}`);
    try {
      const run = await doctor();
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`FAIL  outbox triggers (venda.${VENDA_CAPTURE}): installed but DISABLED: every sale since it was disabled is missing from the outbox Fix: ALTER TABLE public.venda ENABLE TRIGGER ${VENDA_CAPTURE};`);
    } finally {
      await pdv.db.query(`ALTER TABLE venda ENABLE TRIGGER ${VENDA_CAPTURE}`);
    }
  });

  it('fails (exit 1) once the PDV is revoked centrally, and passes again once it is activated', async () => {
    expect((await central.cli(['pdv', 'revoke', PDV_ID])).code).toBe(0);
    const revoked = await doctor({}, ['--json']);
    expect(revoked.code).toBe(1);
    const report = JSON.parse(revoked.stdout) as { lines: { check: string; status: string; detail: string; fix?: string }[]; broken: boolean };
    expect(report.broken).toBe(true);
    expect(report.lines.find((line) => line.check === 'token accepted')).toMatchObject({
      status: 'fail',
      detail: 'the central API refuses the token (401: the token is unknown or its PDV is inactive)',
      fix: expect.stringContaining(`central-api pdv activate ${PDV_ID}`),
    });
    expect((await central.cli(['pdv', 'activate', PDV_ID])).code).toBe(0);
    expect((await doctor()).code).toBe(0);
  });

  it('exits 2 with one line on a bad configuration, as the daemon would', async () => {
    const run = await runNode(PUSH_CLI, ['doctor'], { DB_URL: pdv.url!, CENTRAL_API_URL: 'http://127.0.0.1:1', CENTRAL_API_TOKEN: token });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^push-service: invalid configuration: PDV_ID: expected the PDV id, e\.g\. loja01-pdv03; found nothing/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
}, ['pglite', 'postgres']);
