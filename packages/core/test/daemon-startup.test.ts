import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from './support/spawn-daemon.js';

/** Both daemons share the start-up path; each is started here from its built dist/ entry point. */
describe.each(Object.entries(DAEMON_ENTRY))('%s process', (service, entry) => {
  const running: SpawnedDaemon[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const daemon of running.splice(0)) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  const validEnv = { PDV_ID: 'loja01-pdv01', CENTRAL_API_URL: 'http://127.0.0.1:9', CENTRAL_API_TOKEN: 'token-that-must-not-leak' };

  it.each([
    [{}, 'PDV_ID: expected the PDV id, e.g. loja01-pdv03; found nothing (the variable is not set)'],
    [{ ...validEnv, CENTRAL_API_URL: 'ftp://x' }, 'CENTRAL_API_URL: expected a URL starting with http:// or https://; found "ftp://x"'],
    [{ ...validEnv, DB_URL: 'pglite://memory', HEALTH_PORT: '99999' }, 'HEALTH_PORT: expected an integer <= 65535; found "99999"'],
    [{ ...validEnv }, 'DB_URL: expected a database URL (or DB_HOST and friends); found nothing (neither is set)'],
    [{ ...validEnv, DB_URL: 'mssql://sa:Sup3rSecret@db/x', DB_POOL_MAX: '0' }, 'DB_POOL_MAX: expected an integer >= 1; found "0"'],
  ])('a bad configuration exits 2 with one line and no stack trace (%#)', async (env, expected) => {
    const daemon = spawnDaemon(entry, env as Record<string, string>);
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(`${service}: invalid configuration: ${expected}\n`);
    expect(daemon.stdout()).toBe('');
    expect(daemon.stderr()).not.toContain('Sup3rSecret');
  });

  it('a CENTRAL_API_CA_FILE that cannot be read exits 2 with one line, not a crash in a restart loop', async () => {
    const daemon = spawnDaemon(entry, { ...validEnv, DB_URL: 'pglite://memory', HEALTH_PORT: '0', HEALTH_HOST: '127.0.0.1', CENTRAL_API_CA_FILE: '/etc/goldpdv/no-such-ca.pem' });
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(`${service}: invalid configuration: CENTRAL_API_CA_FILE: expected a readable PEM file; found "/etc/goldpdv/no-such-ca.pem" (ENOENT)\n`);
  });

  it.skipIf(!process.env.TEST_PG_URL)('a database that does not exist on the server exits 2 with one line naming DB_NAME, instead of retrying forever', async () => {
    const url = new URL(process.env.TEST_PG_URL!);
    url.pathname = '/gp_no_such_database';
    const daemon = spawnDaemon(entry, { ...validEnv, DB_URL: url.toString(), HEALTH_PORT: '0', HEALTH_HOST: '127.0.0.1', START_JITTER_MS: '0' });
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(
      `${service}: invalid configuration: DB_NAME: expected a database that exists on the server; found none named "gp_no_such_database" (PostgreSQL 3D000: database "gp_no_such_database" does not exist)\n`,
    );
  });

  it('starts on PGlite, applies the schema, turns ready, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), `gp-${service}-`));
    dirs.push(dir);
    const daemon = spawnDaemon(entry, {
      ...validEnv,
      DB_URL: `pglite://${join(dir, 'db')}`,
      HEALTH_PORT: '0',
      HEALTH_HOST: '127.0.0.1',
      START_JITTER_MS: '0',
      POLL_INTERVAL_MS: '200',
      LOG_DIR: join(dir, 'logs'),
    });
    running.push(daemon);
    const port = await waitFor(async () => /"healthPort":(\d+)/.exec(daemon.stdout())?.[1], 30_000, 'the health port in the logs');
    const ready = await waitFor(async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return response.status === 200 ? ((await response.json()) as { components: Record<string, { ok: boolean }> }) : null;
    }, 30_000, 'readiness');
    expect(ready.components.database?.ok).toBe(true);
    expect(daemon.stdout()).toContain('"msg":"schema up to date"');

    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    expect(code).toBe(0);
    const lines = daemon.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; service: string; pdvId: string });
    expect(lines.at(-1)!.msg).toBe('stopped');
    expect(lines.every((line) => line.service === service && line.pdvId === 'loja01-pdv01')).toBe(true);
    expect(daemon.stdout()).not.toContain('token-that-must-not-leak');

    const files = await readdir(join(dir, 'logs'));
    expect(files.some((f) => f.startsWith(`${service}.json`))).toBe(true);
    const jsonFile = files.find((f) => f.startsWith(`${service}.json`))!;
    expect(await readFile(join(dir, 'logs', jsonFile), 'utf8')).toContain('"msg":"stopped"');
  });
});
