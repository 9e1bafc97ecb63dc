import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnDaemon, waitFor, type SpawnedDaemon } from '../../core/test/support/spawn-daemon.js';

const ENTRY = join(REPO_ROOT, 'packages/central-api/dist/main.js');
const START_TIMEOUT_MS = 90_000;

/** The built entry point as a real child process: what `docker run` starts. */
describe('central-api process', () => {
  const running: SpawnedDaemon[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const daemon of running.splice(0)) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [{ DB_URL: 'pglite://memory', HTTP_PORT: '70000' }, 'HTTP_PORT: expected an integer <= 65535; found "70000"'],
    [{ DB_URL: 'pglite://memory', MAX_BODY_BYTES: 'lots' }, 'MAX_BODY_BYTES: expected an integer between 1024 and 536870912; found "lots"'],
    [
      { DB_URL: 'pglite://memory', EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda;drop table x' },
      'EVENT_HANDLERS: expected routine names of lowercase letters, digits and underscores (at most 63); "sync_handle_venda;drop table x" is not one; found "venda.finalizada=sync_handle_venda;drop table x"',
    ],
    [{ DB_URL: 'pglite://memory', PDV_TOKENS: 'loja01-pdv01:1:short' }, 'PDV_TOKENS: expected a token of at least 16 letters, digits or -._~+/ characters; entry 1 (loja01-pdv01) has another; found a value of 20 characters (hidden)'],
    [{}, 'DB_URL: expected a database URL (or DB_HOST and friends); found nothing (neither is set)'],
  ])('exits 2 with one line on stderr for a bad configuration (%#)', async (env, expected) => {
    const daemon = spawnDaemon(ENTRY, env);
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(`central-api: invalid configuration: ${expected}\n`);
    expect(daemon.stdout()).toBe('');
  });

  it.each([
    ['{ "tables": [ { "table": "produto", "source": "produto", "columns": ["produto_id"] } ] }', 'tables[0].rowFilter: expected null (every loja) or { "column": "<central column>" }'],
    ['{ "tables": [ { "table": "Produto", "source": "cad.Produto", "columns": ["CodProduto"], "rowFilter": null } ] }', 'tables[0].table: expected a lowercase contract name'],
    ['{ "tables": [ { "table": "p", "source": "cad.[Tabela", "columns": ["x"], "rowFilter": null } ] }', 'tables[0].source: expected table or schema.table'],
    ['{ "tables": [ ', 'expected JSON in '],
  ])('exits 2 with one line naming SERVED_TABLES_FILE and the field of a bad declaration (%#)', async (text, expected) => {
    const dir = await mkdtemp(join(tmpdir(), 'central-served-'));
    dirs.push(dir);
    const file = join(dir, 'served-tables.json');
    await writeFile(file, text);
    const daemon = spawnDaemon(ENTRY, { DB_URL: 'pglite://memory', SERVED_TABLES_FILE: file });
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    const stderr = daemon.stderr();
    expect(stderr.startsWith('central-api: invalid configuration: SERVED_TABLES_FILE: ')).toBe(true);
    expect(stderr).toContain(expected);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(daemon.stdout()).toBe('');
  });

  it('exits 2 with one line when SERVED_TABLES_FILE cannot be read, or ROW_FILTERS is still set', async () => {
    for (const [env, expected] of [
      [{ SERVED_TABLES_FILE: '/nonexistent/served-tables.json' }, 'SERVED_TABLES_FILE: expected a readable JSON file; cannot read /nonexistent/served-tables.json (ENOENT)'],
      [{ ROW_FILTERS: 'preco_loja.loja_id' }, 'ROW_FILTERS: expected it unset: row filters are declared in SERVED_TABLES_FILE now'],
    ] as const) {
      const daemon = spawnDaemon(ENTRY, { DB_URL: 'pglite://memory', ...env });
      running.push(daemon);
      const { code } = await daemon.exited;
      expect(code).toBe(2);
      expect(daemon.stderr().startsWith(`central-api: invalid configuration: ${expected}`)).toBe(true);
      expect(daemon.stderr().trim().split('\n')).toHaveLength(1);
    }
  });

  it('starts on PGlite, logs the port, turns ready, and exits 0 on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gp-central-api-'));
    dirs.push(dir);
    const daemon = spawnDaemon(ENTRY, {
      DB_URL: `pglite://${join(dir, 'db')}`,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      ADMIN_PORT: '0',
      EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda',
    });
    running.push(daemon);
    // PGlite start-up plus every central script: seconds alone, much longer beside other suites on 2 cores.
    const [port, adminPort] = await waitFor(
      async () => {
        const match = /"port":(\d+),"adminPort":(\d+),"msg":"listening"/.exec(daemon.stdout());
        return match ? [match[1]!, match[2]!] : undefined;
      },
      START_TIMEOUT_MS,
      'the listening line',
    );
    const ready = await fetch(`http://127.0.0.1:${port}/health/ready`);
    expect(ready.status).toBe(200);
    // Metrics on the admin port only.
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()).toContain('goldpdv_http_requests_total');
    daemon.child.kill('SIGTERM');
    const { code } = await daemon.exited;
    expect(code).toBe(0);
    const lines = daemon.stdout().trim().split('\n').map((line) => JSON.parse(line) as { msg: string; service: string });
    expect(lines.at(-1)!.msg).toBe('stopped');
    expect(lines.every((line) => line.service === 'central-api')).toBe(true);
  }, START_TIMEOUT_MS + 30_000);

  const token = 'demo-token-loja77-pdv01-secret';
  it.each([
    [{ PDV_TOKENS: `loja77-pdv01:77:${token}` }, 'PDV_TOKENS: expected existing loja ids; loja 77 of loja77-pdv01 is not in the loja table'],
    [{ EVENT_HANDLERS: 'venda.finalizada=sync_handle_nothing' }, 'EVENT_HANDLERS: expected a function sync_handle_nothing(text, varchar) in the database for venda.finalizada; found none'],
  ])('exits 2, naming the variable, when the database shows a setting is wrong (%#)', async (env, expected) => {
    const daemon = spawnDaemon(ENTRY, { DB_URL: 'pglite://memory', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', ADMIN_PORT: '0', ...env });
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(`central-api: invalid configuration: ${expected}\n`);
    expect(daemon.stdout()).not.toContain(token);
    expect(daemon.stdout()).not.toContain('"msg":"listening"');
  }, START_TIMEOUT_MS + 30_000);
});
