import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processCpuMs, processRssMb } from './proc-stats.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built central-api of a tree (this one by default, or another commit's worktree given by --central-dir). */
export function centralDist(root: string | null): { main: string; cli: string } {
  const base = `${(root ?? REPO_ROOT).replace(/\/$/, '')}/packages/central-api/dist`;
  return { main: `${base}/main.js`, cli: `${base}/cli.js` };
}

export class CentralReplicaError extends Error {}

export interface CentralReplica {
  pid: number;
  baseUrl: string;
  adminUrl: string;
  cpuMs(): number;
  rssMb(): number;
  /** How many warn-or-worse log lines it wrote, by message (with the reason or error message when given). */
  warnings: Map<string, number>;
  stop(): Promise<void>;
}

/** The environment every replica and the admin CLI share: the scratch database, PostgreSQL dialect. */
export function centralEnvironment(dbUrl: string): NodeJS.ProcessEnv {
  // Log files stay off (stdout only), whatever the calling shell has set.
  const { LOG_DIR: _logDir, ...inherited } = process.env;
  return {
    ...inherited,
    DB_DIALECT: 'postgres',
    DB_URL: dbUrl,
    DB_ENCRYPT: 'false',
    // The reference handlers: a sale moves the loja's stock (estoque) in the transaction that stores it.
    EVENT_HANDLERS: 'venda.finalizada=sync_handle_venda',
    SERVED_TABLES_FILE: '',
    LOG_LEVEL: 'info',
    // As the image runs under docker-compose.yml (the caller's own options, such as a profiler, kept first).
    NODE_OPTIONS: [inherited.NODE_OPTIONS, CENTRAL_NODE_OPTIONS].filter(Boolean).join(' '),
  };
}

const START_TIMEOUT_MS = 120_000;

/** NODE_OPTIONS of docker-compose.yml's central-api service (x-central-heap), with its defaults. */
export const CENTRAL_NODE_OPTIONS = '--max-semi-space-size=64';
const KEPT_LINES = 40;

/**
 * One real central-api process (the built dist), on loopback ports of its choosing; resolved once its
 * `listening` line names them. The first replica applies the schema; later ones find it applied.
 */
export function startCentralReplica(dbUrl: string, index: number, centralRoot: string | null = null): Promise<CentralReplica> {
  const child = spawn(process.execPath, [centralDist(centralRoot).main], {
    env: { ...centralEnvironment(dbUrl), HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ADMIN_HOST: '127.0.0.1', ADMIN_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const warnings = new Map<string, number>();
  let partial = '';
  const keep = (chunk: Buffer): void => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      lines.push(line.slice(0, 400));
      const warning = warningOf(line);
      if (warning !== null) warnings.set(warning, (warnings.get(warning) ?? 0) + 1);
    }
    lines.splice(0, Math.max(0, lines.length - KEPT_LINES));
  };
  child.stderr.on('data', keep);
  return new Promise<CentralReplica>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not say "listening" within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new CentralReplicaError(`central-api replica ${index} ${why}; its last lines:\n${lines.join('\n')}`));
    };
    child.once('exit', (code) => fail(`exited with code ${code} before listening`));
    // Read to the end, so that a full pipe never blocks the replica; only the last lines and a tally are kept.
    const onStdout = (chunk: Buffer): void => {
      keep(chunk);
      const listening = lines.find((line) => line.includes('"listening"'));
      if (listening === undefined) return;
      const parsed = JSON.parse(listening) as { port: number; adminPort: number };
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout!.off('data', onStdout);
      child.stdout!.on('data', keep);
      resolve(replicaOf(child, parsed.port, parsed.adminPort, warnings));
    };
    child.stdout!.on('data', onStdout);
  });
}

// central-api logs levels by label ("level":"warn"); pino's numbers are accepted too.
const WARN_OR_WORSE = new Set<unknown>(['warn', 'error', 'fatal', 40, 50, 60]);

/** A warn-or-worse JSON log line as `message (reason or error)`; null for any other line. */
function warningOf(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const parsed = JSON.parse(line) as { level?: unknown; msg?: string; reason?: string; err?: { message?: string }; method?: string; path?: string; status?: number };
    if (!WARN_OR_WORSE.has(parsed.level)) return null;
    // A failed request's line names the route and status (a 503 of a cap reads differently from a fault).
    const request = typeof parsed.path === 'string' ? `${parsed.method ?? '?'} ${parsed.path} ${parsed.status ?? '?'}` : undefined;
    const why = [request, parsed.reason, parsed.err?.message].filter((part): part is string => typeof part === 'string').join(': ');
    return `${parsed.msg ?? '?'}${why === '' ? '' : ` (${why.slice(0, 160)})`}`;
  } catch {
    return null;
  }
}

function replicaOf(child: ChildProcess, port: number, adminPort: number, warnings: Map<string, number>): CentralReplica {
  const pid = child.pid!;
  let stopped: Promise<void> | null = null;
  return {
    pid,
    baseUrl: `http://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    warnings,
    cpuMs: () => processCpuMs(pid),
    rssMb: () => processRssMb(pid),
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
