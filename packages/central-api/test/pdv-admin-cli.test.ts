import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenHash } from '@goldpdv/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { parseCliArgs, UsageError } from '../src/admin/cli-args.js';
import { patternPdvs } from '../src/admin/batch-input.js';
import { startAdminRig, type AdminRig, type CliRun } from './support/admin-rig.js';

const TOKEN_LINE = /^CENTRAL_API_TOKEN=(gpdv_[A-Za-z0-9_-]{43})\n$/;

/** A refusal: exit 1 and exactly one line on stderr, nothing on stdout. */
function expectRefused(run: CliRun, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(run.stderr).toMatch(pattern);
}

function tokenOf(run: CliRun): string {
  expect(run.code, run.stderr).toBe(0);
  const match = TOKEN_LINE.exec(run.stdout);
  expect(match, run.stdout).not.toBeNull();
  return match![1]!;
}

describeBackends('central-api pdv (the admin CLI, as a child process)', (backend) => {
  let rig: AdminRig;
  let csvDir: string;
  beforeAll(async () => {
    csvDir = mkdtempSync(join(tmpdir(), 'gp-pdv-csv-'));
    rig = await startAdminRig(backend);
  });
  afterAll(async () => {
    rmSync(csvDir, { recursive: true, force: true });
    await rig?.close();
  });

  const registry = async (pdvId: string) =>
    (await rig.exec<{ loja_id: number; active: boolean | number; token_hash: string; label: string | null }>('SELECT loja_id, active, token_hash, label FROM sync_pdv WHERE pdv_id = $1', [pdvId]))[0];

  it('add issues a strong token once, stores only its sha256, and the token is accepted as that PDV of that loja', async () => {
    const run = await rig.cli(['pdv', 'add', 'loja01-pdv01', '--loja', '1', '--label', 'Caixa 1']);
    const token = tokenOf(run);
    expect(run.stderr).toMatch(/^registered loja01-pdv01 in loja 1; its token is printed this once/);
    const row = await registry('loja01-pdv01');
    expect(row!.token_hash.trim()).toBe(tokenHash(token));
    expect(row!.label).toBe('Caixa 1');
    const stored = JSON.stringify(await rig.exec('SELECT * FROM sync_pdv'));
    expect(stored).not.toContain(token);
    const me = await rig.get('/v1/pdv', token);
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ pdvId: 'loja01-pdv01', lojaId: 1 });
  });

  it('add refuses a duplicate id, an unknown loja and a bad id with one line each, and changes nothing', async () => {
    tokenOf(await rig.cli(['pdv', 'add', 'loja01-pdv02', '--loja', '1']));
    const before = await registry('loja01-pdv02');
    expectRefused(await rig.cli(['pdv', 'add', 'loja01-pdv02', '--loja', '2']), /PDV loja01-pdv02 is registered already \(loja 1, active\); pdv rotate-token loja01-pdv02 issues it a new token/);
    expect(await registry('loja01-pdv02')).toEqual(before);
    expectRefused(await rig.cli(['pdv', 'add', 'loja09-pdv01', '--loja', '9']), /loja 9 \(of loja09-pdv01\) is not in the loja table/);
    expect(await registry('loja09-pdv01')).toBeUndefined();
    expectRefused(await rig.cli(['pdv', 'add', 'caixa 1', '--loja', '1']), /"caixa 1" is not a PDV id/);
  });

  it('add --count --pattern registers a batch and prints pdv_id,loja_id,token once per PDV', async () => {
    const run = await rig.cli(['pdv', 'add', '--count', '3', '--pattern', 'loja02-pdv{nn}', '--loja', '2', '--start', '8']);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...lines] = run.stdout.trim().split('\n');
    expect(header).toBe('pdv_id,loja_id,token');
    expect(lines.map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['loja02-pdv08,2', 'loja02-pdv09,2', 'loja02-pdv10,2']);
    const tokens = lines.map((line) => line.split(',')[2]!);
    expect(new Set(tokens).size).toBe(3);
    for (const [i, token] of tokens.entries()) {
      expect((await rig.get('/v1/pdv', token)).json).toEqual({ pdvId: `loja02-pdv${String(8 + i).padStart(2, '0')}`, lojaId: 2 });
    }
    expect(run.stderr).toMatch(/^registered 3 PDVs; their tokens are printed this once/);
    const json = await rig.cli(['pdv', 'add', '--count', '2', '--pattern', 'loja02-pdv{nn}', '--loja', '2', '--start', '11', '--json']);
    expect((JSON.parse(json.stdout) as { pdvId: string; lojaId: number; token: string }[]).map((pdv) => [pdv.pdvId, pdv.lojaId, pdv.token.length])).toEqual([
      ['loja02-pdv11', 2, 48],
      ['loja02-pdv12', 2, 48],
    ]);
  });

  it('add --from-csv registers every line, and a batch with one bad line registers none of it', async () => {
    const good = join(csvDir, 'good.csv');
    writeFileSync(good, 'pdv_id,loja_id,label\n# the new store\nloja02-pdv20,2,"Loja 02, caixa 20"\nloja02-pdv21,,\n');
    const run = await rig.cli(['pdv', 'add', '--from-csv', good, '--loja', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').slice(1).map((line) => line.split(',').slice(0, 2).join(','))).toEqual(['loja02-pdv20,2', 'loja02-pdv21,2']);
    expect((await registry('loja02-pdv20'))!.label).toBe('Loja 02, caixa 20');

    const bad = join(csvDir, 'bad.csv');
    writeFileSync(bad, 'loja02-pdv30,2\nloja02-pdv31,7\nloja02-pdv20,2\n');
    expectRefused(await rig.cli(['pdv', 'add', '--from-csv', bad]), /loja 7 \(of loja02-pdv31\) is not in the loja table; nothing was registered/);
    expect(await registry('loja02-pdv30')).toBeUndefined();
  });

  it('list shows each PDV with its loja, state, times and an empty sync state; --json gives the same entries', async () => {
    tokenOf(await rig.cli(['pdv', 'add', 'loja01-pdv40', '--loja', '1']));
    const json = await rig.cli(['pdv', 'list', '--loja', '1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const fleet = JSON.parse(json.stdout) as { pdvId: string; lojaId: number; active: boolean; createdAt: string; tokenIssuedAt: string; lastSeenAt: string | null; syncState: unknown }[];
    const entry = fleet.find((pdv) => pdv.pdvId === 'loja01-pdv40')!;
    expect(entry).toMatchObject({ lojaId: 1, active: true, lastSeenAt: null, syncState: null, state: 'silent' });
    expect(Date.parse(entry.createdAt)).not.toBeNaN();
    expect(entry.tokenIssuedAt).toBe(entry.createdAt);
    expect(fleet.every((pdv) => pdv.lojaId === 1)).toBe(true);

    const human = await rig.cli(['pdv', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toMatch(/^pdv\s+loja\s+state\s+created \(UTC\)\s+token issued \(UTC\)\s+last request \(UTC\)\s+sync state\s+label$/);
    // The fleet view's state: a PDV registered and never heard from is silent.
    expect(human.stdout).toMatch(/^loja01-pdv40\s+1\s+silent\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/m);
  });

  it('revoke refuses the token (the output says within AUTH_CACHE_TTL_MS); activate accepts it again', async () => {
    const token = tokenOf(await rig.cli(['pdv', 'add', 'loja01-pdv50', '--loja', '1']));
    const revoked = await rig.cli(['pdv', 'revoke', 'loja01-pdv50'], { AUTH_CACHE_TTL_MS: '30000' });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toBe('revoked loja01-pdv50 (loja 1): every central-api replica refuses its token within AUTH_CACHE_TTL_MS (30000 ms); its events already received stay in sync_inbox\n');
    expect((await rig.get('/v1/pdv', token)).status).toBe(401);
    expect((await rig.cli(['pdv', 'revoke', 'loja01-pdv50'])).stdout).toBe('loja01-pdv50 was revoked already; nothing changed\n');
    expect(JSON.parse((await rig.cli(['pdv', 'list', '--revoked', '--json'])).stdout).map((pdv: { pdvId: string }) => pdv.pdvId)).toContain('loja01-pdv50');

    const activated = await rig.cli(['pdv', 'activate', 'loja01-pdv50']);
    expect(activated.code).toBe(0);
    expect(activated.stdout).toMatch(/^activated loja01-pdv50 \(loja 1\): its current token is accepted again/);
    expect((await rig.get('/v1/pdv', token)).status).toBe(200);
    expectRefused(await rig.cli(['pdv', 'revoke', 'loja01-pdv99']), /no PDV loja01-pdv99 in the registry/);
  });

  it('rotate-token prints a new token once; the old one stops working and the new one works', async () => {
    const old = tokenOf(await rig.cli(['pdv', 'add', 'loja01-pdv60', '--loja', '1']));
    const run = await rig.cli(['pdv', 'rotate-token', 'loja01-pdv60']);
    const fresh = tokenOf(run);
    expect(fresh).not.toBe(old);
    expect(run.stderr).toMatch(/the old token is refused by every replica within AUTH_CACHE_TTL_MS \(30000 ms\)/);
    expect((await rig.get('/v1/pdv', old)).status).toBe(401);
    expect((await rig.get('/v1/pdv', fresh)).json).toEqual({ pdvId: 'loja01-pdv60', lojaId: 1 });
    const [row] = await rig.exec<{ created_at: Date; token_issued_at: Date }>('SELECT created_at, token_issued_at FROM sync_pdv WHERE pdv_id = $1', ['loja01-pdv60']);
    expect(new Date(row!.token_issued_at).getTime()).toBeGreaterThan(new Date(row!.created_at).getTime());
    expectRefused(await rig.cli(['pdv', 'rotate-token', 'nobody']), /no PDV nobody in the registry/);
  });

  it('move re-points the PDV: it is served as the new loja (its snapshot of a filtered table holds the new loja\'s rows)', async () => {
    const token = tokenOf(await rig.cli(['pdv', 'add', 'loja01-pdv70', '--loja', '1']));
    const before = await rig.get('/v1/snapshot?table=preco_loja', token);
    expect((before.json as { rows: { loja_id: number }[] }).rows.map((r) => r.loja_id)).toEqual([1]);
    const run = await rig.cli(['pdv', 'move', 'loja01-pdv70', '--loja', '2']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^moved loja01-pdv70 from loja 1 to loja 2; every central-api replica serves it as loja 2 within AUTH_CACHE_TTL_MS/);
    expect(run.stdout).toMatch(/resnapshot --filtered/);
    expect((await rig.get('/v1/pdv', token)).json).toEqual({ pdvId: 'loja01-pdv70', lojaId: 2 });
    const after = await rig.get('/v1/snapshot?table=preco_loja', token);
    expect((after.json as { rows: { loja_id: number }[] }).rows.map((r) => r.loja_id)).toEqual([2]);
    expectRefused(await rig.cli(['pdv', 'move', 'loja01-pdv70', '--loja', '2']), /PDV loja01-pdv70 is in loja 2 already; nothing changed/);
    expectRefused(await rig.cli(['pdv', 'move', 'loja01-pdv70', '--loja', '5']), /loja 5 is not in the loja table; PDV loja01-pdv70 stays in loja 2/);
  });

  it('exits 2 with one line on a bad configuration, and 64 on a bad command line', async () => {
    const config = await rig.cli(['pdv', 'list'], { DB_POOL_MAX: 'many' });
    expect(config.code).toBe(2);
    expect(config.stderr).toBe('central-api: invalid configuration: DB_POOL_MAX: expected an integer between 1 and 100; found "many"\n');
    const usage = await rig.cli(['pdv', 'add', 'x']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/^central-api: pdv add needs --loja <id>\n/);
  });
});

describeBackends('central-api pdv on a database without the central schema', (backend) => {
  it('says so in one line (exit 1) instead of a driver error', async () => {
    const database = await backend.create({ shared: true });
    try {
      const { runNode, CENTRAL_CLI } = await import('./support/admin-rig.js');
      const run = await runNode(CENTRAL_CLI, ['pdv', 'list'], { DB_URL: database.url! });
      expectRefused(run, /the central schema is not applied on this database .*: start central-api once with DB_SCHEMA_AUTO_APPLY=true, or apply common\/\w+\/central\/ by hand/);
    } finally {
      await database.dispose();
    }
  });
}, ['pglite', 'postgres']);

describe('admin command lines', () => {
  it('options that take a value never swallow a switch, and unknown options are usage errors', () => {
    const args = parseCliArgs(['loja01-pdv01', '--loja=3', '--json', '--label', 'Caixa 1'], ['loja', 'label'], ['json']);
    expect(args.positional).toEqual(['loja01-pdv01']);
    expect(Object.fromEntries(args.options)).toEqual({ loja: '3', label: 'Caixa 1' });
    expect([...args.flags]).toEqual(['json']);
    expect(() => parseCliArgs(['--loja', '--json'], ['loja'], ['json'])).toThrow(UsageError);
    expect(() => parseCliArgs(['--lojas', '1'], ['loja'], [])).toThrow(/unknown option --lojas/);
  });

  it('a pattern numbers the PDVs with the padding it asks for', () => {
    expect(patternPdvs('l{n}-p{nnn}', 2, 9, 1, null).map((pdv) => pdv.pdvId)).toEqual(['l9-p009', 'l10-p010']);
    expect(() => patternPdvs('loja01-pdv', 2, 1, 1, null)).toThrow(/needs \{n\}/);
  });
});
