import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScratchDatabase } from '../../push-service/bench/scratch-database.js';
import type { BuiltImage } from './rehearse-image.js';

/**
 * Starts what the assembled image would run, as its USER, in its WORKDIR, with its ENV:
 * - with no configuration at all, the entry point must stop with exit 2 and one line naming the variable;
 * - with a working configuration on a real PostgreSQL database (when one is given), the image's HEALTHCHECK
 *   command must answer healthy while the service runs, and unhealthy once it has stopped.
 * tini (ENTRYPOINT) comes from apt, which is not rehearsed: the CMD is started directly.
 */
export interface RuntimeCheckOptions {
  service: string;
  /** The variables a working start needs besides the database (PDV_ID, CENTRAL_API_URL ...). */
  workingEnv: Record<string, string>;
  /** A PostgreSQL server URL to create a scratch database on, or null to skip the healthcheck check. */
  postgresUrl: string | null;
  log(line: string): void;
}

export class RuntimeCheckFailure extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export async function checkRuntime(image: BuiltImage, options: RuntimeCheckOptions): Promise<string[]> {
  const notRehearsed: string[] = [];
  const { root, stage } = image;
  if (!stage.cmd) throw new RuntimeCheckFailure('the final stage has no CMD', '');
  const entrypoint = stage.entrypoint ?? [];
  if (entrypoint.length > 0 && !existsSync(join(root.path, entrypoint[0]!))) {
    notRehearsed.push(`ENTRYPOINT ${entrypoint.join(' ')} (installed by apt, which is not rehearsed): the CMD runs directly`);
  }
  const run = { cwd: image.workdir, user: image.user };

  const empty = await root.start(stage.cmd, { ...run, env: image.env, timeoutMs: 60_000 }).result;
  const firstLine = empty.output.trim().split('\n')[0] ?? '';
  if (empty.code !== 2 || !firstLine.startsWith(`${options.service}: invalid configuration: `)) {
    throw new RuntimeCheckFailure(`with an empty configuration ${stage.cmd.join(' ')} must exit 2 with one line "${options.service}: invalid configuration: ..."; it exited ${empty.code}`, empty.output);
  }
  options.log(`empty configuration: exit 2, "${firstLine}"`);

  if (!stage.healthcheck) throw new RuntimeCheckFailure('the final stage has no HEALTHCHECK', '');
  if (options.postgresUrl === null) {
    notRehearsed.push('HEALTHCHECK against a running service (no PostgreSQL server given: REHEARSAL_PG_URL or TEST_PG_URL)');
    return notRehearsed;
  }
  const port = String(await freePort());
  const database = await createScratchDatabase(options.postgresUrl, 'gp_rehearsal');
  try {
    const env = { ...image.env, ...options.workingEnv, DB_URL: database.url, HEALTH_PORT: port, HTTP_PORT: port, HEALTH_HOST: '127.0.0.1', HTTP_HOST: '127.0.0.1' };
    const service = root.start(stage.cmd, { ...run, env });
    const probe = () => root.start(stage.healthcheck!, { ...run, env: { ...image.env, HEALTH_PORT: port }, timeoutMs: 10_000 }).result;
    let healthy = false;
    let last = await probe();
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; ) {
      if (last.code === 0) {
        healthy = true;
        break;
      }
      await sleep(1_000);
      last = await probe();
    }
    const stopped = await service.stop();
    if (!healthy) throw new RuntimeCheckFailure(`the HEALTHCHECK (${stage.healthcheck.join(' ')}) never answered healthy within 90 s; last answer: exit ${last.code} ${last.output.trim()}`, service.output());
    options.log(`HEALTHCHECK while running: exit 0 (${last.output.trim() || 'no output'})`);
    if (stopped.code !== 0) throw new RuntimeCheckFailure(`the service did not stop cleanly on SIGTERM (exit ${stopped.code})`, stopped.output);
    const after = await probe();
    if (after.code === 0) throw new RuntimeCheckFailure('the HEALTHCHECK still answered healthy after the service stopped', after.output);
    options.log(`HEALTHCHECK after SIGTERM: exit ${after.code}`);
  } finally {
    await database.drop();
  }
  return notRehearsed;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
