import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from '../fleet/proc-stats.js';

/**
 * pnpm bench:wake-floor [--pdvs N] [--replicas R] [--workers W] [--seconds S] [--stream] [--json]: the floor under
 * bench:fleet's commit -> visible figure on this machine. The same number of PDVs long-poll over keep-alive
 * connections, with pull-service's request headers, and every commit wakes all of them; but the servers do
 * nothing per PDV beyond Node's HTTP itself (one body made once per commit, no auth, no database, no per-PDV
 * text) and the clients only inflate, parse and ask again. What bench:fleet measures above this is the cost of
 * the sync itself; what this measures is what any request-per-wake long poll costs on these cores. With
 * --stream each PDV holds one answer open and gets a line per commit instead (uncompressed): the floor of a
 * streamed wait, which would spare each wake its request.
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  const value = at >= 0 ? Number(args[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`bench:wake-floor: --${name} must be a positive integer\n`);
    process.exit(64);
  }
  return value;
};
const pdvs = option('pdvs', 10_000);
const replicas = option('replicas', 2);
const workers = option('workers', 4);
const seconds = option('seconds', 40);
/** Each PDV holds one answer open and gets a line per commit (no request per wake, no gzip). */
const streamed = args.includes('--stream');
/** As bench:fleet: a commit every 2 s, of which every other one (produto) wakes every PDV. */
const WAKE_EVERY_MS = 4_000;

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const spawnChild = (file: string): ChildProcess => fork(here(file), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const next = <T>(child: ChildProcess, type: string): Promise<T> =>
  new Promise((resolve) => {
    const on = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', on);
      resolve(message as T);
    };
    child.on('message', on);
  });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A carried produto page's size as bench:fleet's PDVs get it: one row of twelve columns, the column list, a token.
const row = { produto_id: 17, codigo_barras: '7890000000017', descricao: 'fleet commit 17', categoria_id: 3, unidade: 'UN', ncm: '19059090', preco_base: '26.9900', custo: '22.0000', aliquota_icms: '18.0000', peso_kg: '0.5000', criado_em: '2026-12-04T20:00:00.000000', atualizado_em: '2026-12-04T20:41:00.123456' };
const padding = JSON.stringify({ columns: Object.keys(row).map((name) => ({ name, type: 'string' })), changes: [{ op: 'upsert', version: '123456', key: { produto_id: 17 }, row }], syncToken: `v1.1.${'e'.repeat(110)}.${'m'.repeat(43)}` });

async function main(): Promise<void> {
  const servers = Array.from({ length: replicas }, () => spawnChild('./floor-server.ts'));
  const ports = await Promise.all(servers.map((server) => next<{ port: number }>(server, 'listening').then((message) => message.port)));
  const clients = Array.from({ length: workers }, () => spawnChild('./floor-client.ts'));
  const share = Math.ceil(pdvs / workers);
  await Promise.all(
    clients.map((client, index) => {
      const ready = next(client, 'ready');
      client.send({ type: 'setup', ports, pdvs: Math.min(share, pdvs - index * share), first: index * share, localAddress: `127.0.0.${10 + index}`, stream: streamed });
      return ready;
    }),
  );
  await sleep(5_000);
  const cpu = (children: ChildProcess[]) => children.reduce((sum, child) => sum + processCpuMs(child.pid!), 0);
  const [serverCpu0, clientCpu0, started] = [cpu(servers), cpu(clients), Date.now()];
  let commits = 0;
  while (Date.now() - started < seconds * 1_000) {
    commits += 1;
    for (const server of servers) server.send({ type: 'commit', at: Date.now(), padding });
    await sleep(WAKE_EVERY_MS);
  }
  const elapsedS = (Date.now() - started) / 1_000;
  const [serverCpu, clientCpu] = [cpu(servers) - serverCpu0, cpu(clients) - clientCpu0];
  const all = (await Promise.all(clients.map((client) => {
    const answer = next<{ latencies: number[] }>(client, 'latencies');
    client.send({ type: 'stop' });
    return answer.then((message) => message.latencies);
  }))).flat().sort((a, b) => a - b);
  for (const server of servers) server.send({ type: 'stop' });
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? null;
  const result = {
    mode: streamed ? 'stream (one open answer per PDV, a line per commit)' : 'long poll (a request per wake, gzip)',
    pdvs,
    replicas,
    workers,
    commits,
    wakes: all.length,
    expected_wakes: commits * pdvs,
    p50_ms: at(0.5),
    p99_ms: at(0.99),
    max_ms: all.at(-1) ?? null,
    server_cpu_us_per_wake: Math.round((serverCpu * 1_000) / Math.max(1, all.length)),
    client_cpu_us_per_wake: Math.round((clientCpu * 1_000) / Math.max(1, all.length)),
    server_cpu_pct: Math.round((serverCpu / elapsedS) / 10),
    client_cpu_pct: Math.round((clientCpu / elapsedS) / 10),
  };
  process.stdout.write(`wake floor (${result.mode}): ${pdvs} PDVs, ${replicas} server(s), ${commits} commits waking all: p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, max ${result.max_ms} ms; `
    + `server ${result.server_cpu_us_per_wake} us and clients ${result.client_cpu_us_per_wake} us of CPU per wake\n`);
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
  setTimeout(() => process.exit(0), 1_000).unref();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:wake-floor: ${(error as Error).message}\n`);
  process.exit(1);
});
