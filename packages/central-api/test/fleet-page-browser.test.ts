import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBackends, type Backend } from '../../core/test/support/backends.js';
import { DAEMON_ENTRY, spawnDaemon, waitFor, type SpawnedDaemon } from '../../core/test/support/spawn-daemon.js';
import { storesFor } from '../src/dialect-stores.js';
import { readFleet } from '../src/pdv/fleet.js';
import { registerPdv, startAdminRig, type AdminRig, type RegisteredPdv } from './support/admin-rig.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_TOKEN = 'admin-token-of-the-fleet-page-browser';

/** A loopback port nothing listens on: a central API that went away. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What is expected of each PDV after its daemon ran into its fault, in the order of urgency. */
const EXPECTED = [
  ['loja02-gone', 'silent'],
  ['loja01-dead', 'dead-letters'],
  ['loja01-fine', 'ok'],
  ['loja01-revoked', 'revoked'],
] as const;

if (!existsSync(CHROMIUM)) {
  describe('the fleet page in a headless browser', () => {
    it.skip(`needs Debian's Chromium at ${CHROMIUM} (apt-get install -y chromium); skipped`, () => {});
  });
} else {
  describeBackends(
    'the fleet page in headless Chromium, after real push-service daemons ran into their faults',
    (backend: Backend) => {
      let rig: AdminRig;
      let browser: Browser;
      const pdvs = new Map<string, RegisteredPdv>();
      const daemons: SpawnedDaemon[] = [];

      beforeAll(async () => {
        rig = await startAdminRig(backend, { ADMIN_TOKEN, FLEET_FLUSH_INTERVAL_MS: '200', PDV_LAST_SEEN_INTERVAL_MS: '200' });
        for (const [pdvId] of EXPECTED) pdvs.set(pdvId, await registerPdv(rig, backend, pdvId, pdvId.startsWith('loja02') ? 2 : 1));
        // The faults: a token revoked before its daemon starts; a central API that is not there; an event the
        // contract refuses (push-service sets it aside as a dead letter); and a PDV with nothing wrong.
        expect((await rig.cli(['pdv', 'revoke', 'loja01-revoked'])).code).toBe(0);
        const gone = `http://127.0.0.1:${await deadPort()}`;
        const insert = (pdvId: string, eventId: string, type: string) =>
          pdvs.get(pdvId)!.pdv.db.query(`INSERT INTO sync_outbox (event_id, event_type, stream_key, payload) VALUES ($1, $2, 'caixa:1', '{"total":"1.00"}')`, [eventId, type]);
        await insert('loja01-dead', '00000000-0000-4000-8000-00000000d0d0', 'Not A Valid Type!');
        await insert('loja01-fine', '00000000-0000-4000-8000-00000000f1f1', 'venda.finalizada');
        const common = { HEALTH_HOST: '127.0.0.1', HEALTH_PORT: '0', START_JITTER_MS: '0', POLL_INTERVAL_MS: '200', STATUS_REPORT_INTERVAL_MS: '300', CENTRAL_AUTH_ALERT_MS: '0', SHUTDOWN_TIMEOUT_MS: '5000' };
        // The healthy PDV runs both daemons: its entry carries both reports.
        daemons.push(spawnDaemon(DAEMON_ENTRY['pull-service'], { ...pdvs.get('loja01-fine')!.env, ...common }));
        for (const [pdvId, pdv] of pdvs) {
          daemons.push(
            spawnDaemon(DAEMON_ENTRY['push-service'], {
              ...pdv.env,
              ...(pdvId === 'loja02-gone' ? { CENTRAL_API_URL: gone } : {}),
              ...common,
              PUSH_CONNECT_TIMEOUT_MS: '1000',
              PUSH_RESPONSE_TIMEOUT_MS: '2000',
              PUSH_LEASE_MS: '5000',
              PUSH_SWEEP_INTERVAL_MS: '0',
              PUSH_RECONCILE_INTERVAL_MS: '0',
            }),
          );
        }
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      }, 120_000);

      afterAll(async () => {
        await browser?.close();
        for (const daemon of daemons) {
          if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
          await daemon.exited;
        }
        for (const pdv of pdvs.values()) await pdv.pdv.dispose();
        await rig?.close();
      }, 60_000);

      it('lists the PDVs by urgency: silent, dead letters, ok, revoked', async () => {
        // The daemons report every 300 ms and central stores every 200 ms: wait until the fleet says what each ran into.
        await waitFor(
          async () => {
            const fleet = await readFleet(rig.db, storesFor(rig.db.dialect));
            const fine = fleet.find((pdv) => pdv.pdvId === 'loja01-fine');
            // The healthy PDV's own sale must have been delivered (a loaded machine can report it still pending),
            // and its pull report must be one sent after its tables were loaded (an earlier one has no lag yet).
            return (
              JSON.stringify(fleet.map((pdv) => [pdv.pdvId, pdv.state])) === JSON.stringify(EXPECTED) &&
              fine?.syncState?.pull != null &&
              fine.syncState.pull.pull.tables.every((table) => table.lagSeconds !== null) &&
              fine.syncState.push?.push.outbox.pending === 0
            );
          },
          60_000,
          `the fleet to be ${JSON.stringify(EXPECTED)} (daemon logs: ${daemons.map((d) => d.stderr().slice(-300)).join(' | ')})`,
        );

        const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        try {
          const page = await context.newPage();
          const answer = await page.goto(`http://127.0.0.1:${rig.api.adminPort}/fleet`);
          expect(answer?.status()).toBe(200);
          expect(await page.title()).toBe('GoldPDV fleet');
          const rows = await page.locator('#fleet tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-pdv'), tr.getAttribute('data-state'), tr.children[5]?.textContent ?? '']));
          expect(rows.map(([pdv, state]) => [pdv, state])).toEqual(EXPECTED);
          const why = new Map(rows.map(([pdv, , reason]) => [pdv, reason]));
          expect(why.get('loja02-gone')).toMatch(/^never heard from/);
          expect(why.get('loja01-dead')).toMatch(/^1 event\(s\) set aside in dead letters/);
          expect(why.get('loja01-revoked')).toMatch(/^token revoked/);
          const fineSummary = await page.locator('tr[data-pdv="loja01-fine"] td').nth(6).innerText();
          expect(fineSummary).toMatch(/^pull \S+: 8 table\(s\), worst lag \d+ s; push \S+: 0 pending, 0 dead/);
          // What a person sees: the first row's state, shown as text.
          expect(await page.locator('#fleet tbody tr').first().locator('td.state').innerText()).toBe('silent');
        } finally {
          await context.close();
        }
      });

      it('without the admin token, or with a wrong one, the browser gets 401 and no PDV', async () => {
        for (const headers of [{}, { authorization: 'Bearer a-wrong-admin-token-xxxxxxxx' }] as Record<string, string>[]) {
          const context = await browser.newContext({ extraHTTPHeaders: headers });
          try {
            const page = await context.newPage();
            const answer = await page.goto(`http://127.0.0.1:${rig.api.adminPort}/fleet`);
            expect(answer?.status()).toBe(401);
            expect(await page.content()).not.toContain('loja01-fine');
          } finally {
            await context.close();
          }
        }
      });
    },
    ['postgres'],
  );
}
