import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The file system of one build stage, without a Docker engine: an empty folder made into a root, where /usr and
 * /etc are copy-on-write overlays of this machine's (Debian 12 bookworm and Node 20, as node:20-bookworm-slim),
 * and everything else (/repo, /app, /out, /root with its empty npm cache and pnpm store) starts empty. Commands
 * run in it through `unshare --mount` and `chroot`, as root or as the base image's `node` user (uid 1000).
 *
 * What this cannot reproduce: the base image itself (its exact files), apt inside the image, and another CPU
 * architecture. docs/docker.md says so.
 */
export interface ScratchRoot {
  /** The root as seen from outside: <dir>/root. */
  readonly path: string;
  run(command: string, options: RunOptions): Promise<RunResult>;
  /** Starts a long-running command; `stop` sends SIGTERM and resolves with its result. */
  start(argv: string[], options: RunOptions): RunningCommand;
  remove(): void;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  /** 'root' or 'node' (uid/gid 1000). */
  user: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  output: string;
}

export interface RunningCommand {
  result: Promise<RunResult>;
  output(): string;
  stop(): Promise<RunResult>;
}

const NODE_USER = 'node:x:1000:1000::/home/node:/bin/sh';
const NODE_GROUP = 'node:x:1000:';
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export async function createScratchRoot(dir: string): Promise<ScratchRoot> {
  rmSync(dir, { recursive: true, force: true });
  const root = join(dir, 'root');
  for (const layer of ['usr', 'etc']) {
    mkdirSync(join(dir, `upper-${layer}`), { recursive: true });
    mkdirSync(join(dir, `work-${layer}`), { recursive: true });
    mkdirSync(join(root, layer), { recursive: true });
  }
  for (const folder of ['dev', 'proc', 'tmp', 'root', 'home/node', 'var/tmp']) mkdirSync(join(root, folder), { recursive: true });
  // Merged /usr, as in bookworm.
  for (const link of ['bin', 'lib', 'lib64', 'sbin']) symlinkSync(`usr/${link}`, join(root, link));

  // Each command mounts the overlays in its own mount namespace. Two overlay mounts that share an upper and work
  // folder must not be set up at the same instant: the kernel resets <work>/work while mounting, and a concurrent
  // mount then fails ("special device overlay does not exist"), e.g. a HEALTHCHECK probe started while the service
  // is mounting. flock serialises the mount step only; the commands themselves run side by side.
  const overlayMounts = [
    'mount --make-rprivate /',
    ...['usr', 'etc'].map((layer) => `mount -t overlay overlay -o lowerdir=/${layer},upperdir=${dir}/upper-${layer},workdir=${dir}/work-${layer} ${root}/${layer}`),
    `mount --rbind /dev ${root}/dev`,
    `mount -t proc proc ${root}/proc`,
  ].join(' && ');
  const mounts = `flock ${shellQuote(join(dir, 'mount.lock'))} /bin/sh -c ${shellQuote(overlayMounts)}`;

  const spawnInRoot = (argv: string[], options: RunOptions) => {
    const userSpec = options.user === 'root' || options.user === '0' ? [] : [`--userspec=${options.user === 'node' ? '1000:1000' : options.user}`];
    const env = { PATH, HOME: options.user === 'root' ? '/root' : '/home/node', ...options.env };
    const envArgs = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    const inner = ['chroot', ...userSpec, root, '/usr/bin/env', '-i', ...envArgs, '/bin/sh', '-c', 'cd "$0" && exec "$@"', options.cwd, ...argv];
    const script = `${mounts} && exec ${inner.map(shellQuote).join(' ')}`;
    return spawn('unshare', ['--mount', '--fork', '/bin/sh', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  };

  const scratch: ScratchRoot = {
    path: root,
    run(command, options) {
      return scratch.start(['/bin/sh', '-c', command], options).result;
    },
    start(argv, options) {
      const child = spawnInRoot(argv, options);
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const timer = options.timeoutMs ? setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), options.timeoutMs) : undefined;
      const result = new Promise<RunResult>((resolve) => {
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, output });
        });
      });
      return {
        result,
        output: () => output,
        async stop() {
          // The whole process group: unshare, chroot's shell and the command inside.
          try {
            process.kill(-child.pid!, 'SIGTERM');
          } catch {
            // already gone
          }
          return result;
        },
      };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // The base image's non-root user: node, uid and gid 1000, home /home/node.
  const prepared = await scratch.run(
    `grep -q '^node:' /etc/passwd || echo '${NODE_USER}' >> /etc/passwd; grep -q '^node:' /etc/group || echo '${NODE_GROUP}' >> /etc/group; chown 1000:1000 /home/node; chmod 1777 /tmp /var/tmp`,
    { cwd: '/', env: {}, user: 'root' },
  );
  if (prepared.code !== 0) throw new Error(`could not prepare the scratch root ${root}: ${prepared.output}`);
  return scratch;
}

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
