import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import { startAdminRig, type AdminRig } from './support/admin-rig.js';
import { send } from './support/http-client.js';
import { expectMatchesOpenApi } from './support/openapi.js';

const TOKEN_LINE = /^BACKOFFICE_TOKEN=(gpdv_[A-Za-z0-9_-]{43})\n$/;

describeBackends('central-api backoffice (the admin CLI, as a child process)', (backend) => {
  let rig: AdminRig;
  beforeAll(async () => {
    rig = await startAdminRig(backend);
  });
  afterAll(async () => rig?.close());

  const compra = async (token: string, key: string) => {
    const path = '/v1/backoffice/compras';
    const response = await send(rig.api.port, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      body: JSON.stringify({ id: `NF-${key}`, loja: 1, items: [{ product: 1, quantity: '6', cost: '2.1000' }] }),
    });
    expectMatchesOpenApi('POST', path, response);
    return response.status;
  };

  it('issues a token once, stores only its hash, and the token works until revoked', async () => {
    const added = await rig.cli(['backoffice', 'add', 'escritorio-matriz']);
    expect(added.code, added.stderr).toBe(0);
    const token = TOKEN_LINE.exec(added.stdout)?.[1];
    expect(token, added.stdout).toBeDefined();
    const stored = await rig.exec<{ token_hash: string }>('SELECT token_hash FROM sync_backoffice_client WHERE name = $1', ['escritorio-matriz']);
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).not.toContain(token!);
    expect(await compra(token!, 'cli-1')).toBe(201);

    const again = await rig.cli(['backoffice', 'add', 'escritorio-matriz']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists already/);

    expect((await rig.cli(['backoffice', 'revoke', 'escritorio-matriz'])).code).toBe(0);
    expect(await compra(token!, 'cli-2')).toBe(401);
    expect((await rig.cli(['backoffice', 'activate', 'escritorio-matriz'])).code).toBe(0);
    expect(await compra(token!, 'cli-3')).toBe(201);
  });

  it('refuses a bad name and an unknown client with one line, and a missing name as usage (64)', async () => {
    const bad = await rig.cli(['backoffice', 'add', 'nome com espaço']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/must be 1 to 64 letters/);
    const unknown = await rig.cli(['backoffice', 'revoke', 'ninguem']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no back-office client named "ninguem"/);
    expect((await rig.cli(['backoffice', 'add'])).code).toBe(64);
  });
});
