import { setTimeout as sleep } from 'node:timers/promises';
import { send } from '../../packages/central-api/test/support/http-client.js';
import { vendaEvent } from '../../packages/central-api/test/support/events.js';
import { Outcome, type ChaosContext } from '../support/context.js';
import { createRig, OTHER_PDV, PDV } from '../support/rig.js';
import { startTlsServer, TLS_FIXTURE } from '../../packages/core/test/support/tls-server.js';

const TLS_WARNING = 'TLS certificate verification of the central API is DISABLED';

/**
 * Authentication and isolation at central-api, TLS verification of both daemons, and a search of
 * every line any child printed during the whole run for the configured passwords and tokens.
 */
export async function security(ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  const rig = await createRig(ctx, { products: 30 });
  try {
    const port = Number(new URL(rig.api.url).port);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const sale = () => JSON.stringify({ events: [vendaEvent({ pdvId: PDV.pdvId, lojaId: PDV.lojaId })] });
    const denied: { name: string; status: number }[] = [];
    for (const [name, headers] of [
      ['no token', { 'content-type': 'application/json' }],
      ['wrong token', bearer('not-a-token-of-anyone-000000000000')],
      ['malformed scheme', { authorization: `Basic ${rig.token}`, 'content-type': 'application/json' }],
    ] as const) {
      denied.push({ name: `write, ${name}`, status: (await send(port, '/v1/events', { method: 'POST', headers, body: sale() })).status });
      denied.push({ name: `read, ${name}`, status: (await send(port, '/v1/snapshot?table=preco_loja', { headers })).status });
    }
    const refused = denied.filter((request) => request.status === 401 || request.status === 403).length;
    outcome.set('unauthenticated requests', denied.length);
    outcome.set('answered 401/403', refused);
    outcome.expect(refused === denied.length, `not refused: ${denied.filter((r) => r.status !== 401 && r.status !== 403).map((r) => `${r.name} -> ${r.status}`).join(', ')}`);

    // Another PDV's token writing a sale in this PDV's name: the handler must refuse it.
    const forged = await send(port, '/v1/events', { method: 'POST', headers: bearer(rig.otherToken), body: sale() });
    const forgedResults = (forged.json as { results?: { status: string }[] } | undefined)?.results ?? [];
    const crossWrites = Number((await rig.central.db.query<{ n: string }>('SELECT count(*) AS n FROM venda_central')).rows[0]!.n);
    outcome.set('cross-PDV write answered', `${forged.status} ${forgedResults.map((r) => r.status).join(',')}`);
    outcome.set('cross-PDV writes stored', crossWrites);
    outcome.expect(crossWrites === 0, 'a sale written with another PDV token was applied');

    // Store prices: only the caller's loja, whatever the query string claims.
    let foreignRows = 0;
    let ownRows = 0;
    // Read through the snapshot, as a PDV's first sync does (deltas need the snapshot's Sync-Token).
    for (const query of ['', '&loja_id=2', '&lojaId=2&pdv_id=loja02-pdv01']) {
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const path = `/v1/snapshot?table=preco_loja&limit=1000${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const answer = await send(port, path, { headers: { ...bearer(rig.token), 'x-pdv-id': OTHER_PDV.pdvId, 'sync-contract': '2' } });
        const body = answer.json as { rows?: { loja_id?: number }[]; hasMore?: boolean; nextCursor?: string | null } | undefined;
        for (const row of body?.rows ?? []) {
          if (row.loja_id === PDV.lojaId) ownRows += 1;
          else foreignRows += 1;
        }
        if (!body?.hasMore || !body.nextCursor) break;
        cursor = body.nextCursor;
      }
    }
    outcome.set('own-store price rows read', ownRows);
    outcome.set("other store's price rows read", foreignRows);
    outcome.expect(ownRows > 0 && foreignRows === 0, `store filter: ${ownRows} own rows, ${foreignRows} foreign rows`);

    // TLS, against an HTTPS server with a self-signed certificate: with verification on (the default) no
    // request gets through the handshake; a private CA file is trusted with verification still on; only an
    // explicit CENTRAL_API_TLS_VERIFY=false reaches the server, and then the daemon warns.
    await rig.pdv.db.query(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload) VALUES (gen_random_uuid(), 'venda.finalizada', 'tls-check', '{}')`);
    const tls = await startTlsServer();
    const modes = { on: {}, ca: { CENTRAL_API_CA_FILE: TLS_FIXTURE.certFile }, off: { CENTRAL_API_TLS_VERIFY: 'false' } } as const;
    const seen: Record<string, { requests: number; warned: boolean; certificateError: boolean }> = {};
    try {
      for (const kind of ['pull', 'push'] as const) {
        for (const [mode, env] of Object.entries(modes)) {
          const before = tls.requests();
          const slot = rig.startDaemon(kind, { CENTRAL_API_URL: tls.url, ...env });
          await slot.healthPort();
          await sleep(2_000);
          const log = slot.current.stdout();
          seen[`${kind} ${mode}`] = { requests: tls.requests() - before, warned: log.includes(TLS_WARNING), certificateError: /SELF_SIGNED|self[- ]signed/i.test(log) };
          await slot.stop();
        }
      }
    } finally {
      await tls.stop();
    }
    const pair = (mode: string, field: 'requests' | 'warned' | 'certificateError') => `${String(seen[`pull ${mode}`]![field])}/${String(seen[`push ${mode}`]![field])}`;
    outcome.set('TLS verify on: requests through (pull/push)', pair('on', 'requests'));
    outcome.set('TLS verify on: certificate error logged', pair('on', 'certificateError'));
    outcome.set('TLS private CA: requests through', pair('ca', 'requests'));
    outcome.set('TLS verify off: requests through', pair('off', 'requests'));
    outcome.set('TLS warning when disabled (pull/push)', pair('off', 'warned'));
    outcome.set('TLS warning when enabled (pull/push)', `${pair('on', 'warned')} ${pair('ca', 'warned')}`);
    for (const kind of ['pull', 'push']) {
      const on = seen[`${kind} on`]!;
      const ca = seen[`${kind} ca`]!;
      const off = seen[`${kind} off`]!;
      outcome.expect(on.requests === 0 && on.certificateError, `${kind}-service with verification on: ${on.requests} requests got through, certificate error logged: ${on.certificateError}`);
      outcome.expect(ca.requests > 0, `${kind}-service did not reach the server through its private CA file`);
      outcome.expect(off.requests > 0, `${kind}-service with verification off did not reach the server`);
      outcome.expect(off.warned && !on.warned && !ca.warned, `${kind}-service TLS warning: off=${off.warned} on=${on.warned} ca=${ca.warned} (expected only when off)`);
    }

    // Every captured line of every child of every scenario of this run.
    let lines = 0;
    let leaks = 0;
    for (const { daemon } of ctx.children) {
      const text = `${daemon.stdout()}\n${daemon.stderr()}`;
      lines += text.split('\n').filter(Boolean).length;
      for (const secret of ctx.secrets) leaks += text.split(secret).length - 1;
    }
    outcome.set('child processes scanned', ctx.children.length);
    outcome.set('log lines scanned', lines);
    outcome.set('secrets configured', ctx.secrets.size);
    outcome.set('secret occurrences in logs', leaks);
    outcome.expect(leaks === 0, `${leaks} occurrences of configured passwords or tokens in the logs`);
  } finally {
    await rig.dispose();
  }
  return outcome;
}
