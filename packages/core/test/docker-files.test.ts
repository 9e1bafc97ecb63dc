/**
 * Static checks of the Docker files: no Docker engine is needed, so a typo in a COPY path, a compose key the
 * specification does not know, or a healthcheck pointing at a file the build does not produce is caught in
 * CI. They do not prove that an image builds or runs. Needs `pnpm build` first (the built output is checked).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

// ---------------------------------------------------------------------------------------------------------
// Compose file and the Compose Specification schema
// ---------------------------------------------------------------------------------------------------------

/**
 * The official compose-spec.json (draft-07), as vendored by the dclint package (its update script downloads
 * it from the compose-spec repository). Loaded from node_modules so that upgrading dclint upgrades the schema.
 */
function loadComposeSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dclint/package.json'));
  return JSON.parse(readFileSync(join(packageDir, 'schemas/compose.schema.json'), 'utf8')) as Record<string, unknown>;
}

function composeValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const draft07 = require('ajv/dist/refs/json-schema-draft-07.json') as Record<string, unknown>;
  const schema = loadComposeSchema();
  // The schema names its meta-schema "https://json-schema.org/draft-07/schema" (https, no '#'), which Ajv
  // knows only as "http://json-schema.org/draft-07/schema#": register the same meta-schema under that id.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true });
  if (typeof schema.$schema === 'string' && !ajv.getSchema(schema.$schema)) ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
  return ajv.compile(schema);
}

/** Plain data as compose sees it: YAML merge keys (<<) resolved, variables (${...}) left as written. */
interface ComposeService {
  [key: string]: unknown;
  image?: string;
  build?: { context: string; dockerfile: string };
  container_name?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] | string; interval?: string; timeout?: string; start_period?: string; retries?: number };
  logging?: { driver: string; options: Record<string, string> };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  command?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText, { merge: true }) as ComposeFile;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};
const describeErrors = (validate: ValidateFunction): string =>
  (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');

const HEALTHCHECK_SCRIPT = '/app/node_modules/@goldpdv/core/dist/health/healthcheck-main.js';
const PDV_SERVICES = [
  { name: 'pull', container: 'pdv-sync-pull', image: 'goldpdv/pull-service', dockerfile: 'pull-service/Dockerfile' },
  { name: 'push', container: 'pdv-sync-push', image: 'goldpdv/push-service', dockerfile: 'push-service/Dockerfile' },
];
/** Every service running one of the project's images: the daemons on a PDV, the central API, and the dev loop. */
const NODE_SERVICES = ['pull', 'push', 'central-api', 'central-api-dev', 'pull-dev', 'push-dev'];

describe('docker-compose.yml', () => {
  const validate = composeValidator();

  it('is valid under the Compose Specification JSON schema', () => {
    const valid = validate(compose);
    expect(valid, describeErrors(validate)).toBe(true);
  });

  it('the schema check has teeth: an unknown service key, a bad depends_on condition, an unknown top-level key', () => {
    const withUnknownKey = structuredClone(compose);
    withUnknownKey.services.pull!.restart_policy = 'always';
    expect(validate(withUnknownKey)).toBe(false);
    expect(describeErrors(validate)).toMatch(/^\/services\/pull must NOT have additional properties .*"restart_policy"/m);

    const withBadCondition = structuredClone(compose);
    withBadCondition.services['pull-dev']!.depends_on = { 'dev-setup': { condition: 'service_finished' } };
    expect(validate(withBadCondition)).toBe(false);

    expect(validate({ ...compose, service: {} })).toBe(false);
  });

  it.each(PDV_SERVICES)('runs $name on a PDV with no profile, as $container', ({ name, container, image, dockerfile }) => {
    const s = service(name);
    expect(s.profiles).toBeUndefined();
    expect(s.container_name).toBe(container);
    expect(s.image).toBe(`${image}:\${GOLDPDV_VERSION:-latest}`);
    expect(s.build).toEqual({ context: '.', dockerfile });
    expect(s.env_file).toBe('.env');
  });

  it.each(NODE_SERVICES)('%s: restart, init, grace period, logging, log volume, host gateway, healthcheck', (name) => {
    const s = service(name);
    expect(s.restart).toBe('unless-stopped');
    expect(s.init).toBe(true);
    expect(s.stop_grace_period).toBe('30s');
    expect(s.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } });
    expect(s.environment?.LOG_DIR).toBe('/var/log/goldpdv');
    const logVolume = name.endsWith('-dev') ? 'goldpdv-dev-logs' : 'goldpdv-logs';
    expect(s.volumes).toContain(`${logVolume}:/var/log/goldpdv`);
    expect(s.extra_hosts).toEqual(['host.docker.internal:host-gateway']);
    expect(s.healthcheck).toEqual({ test: ['CMD', 'node', HEALTHCHECK_SCRIPT], interval: '30s', timeout: '5s', start_period: '30s', retries: 3 });
  });

  it('declares every named volume its services mount', () => {
    const mounted = Object.values(compose.services)
      .flatMap((s) => s.volumes ?? [])
      .map((v) => v.split(':')[0]!)
      .filter((source) => !source.startsWith('.') && !source.startsWith('/'));
    expect(mounted.length).toBeGreaterThan(0);
    for (const volume of mounted) expect(Object.keys(compose.volumes), volume).toContain(volume);
    expect(Object.keys(compose.volumes)).toContain('goldpdv-logs');
  });

  it('profile central: central-api on 8090, probed on its own port', () => {
    const s = service('central-api');
    expect(s.profiles).toEqual(['central']);
    expect(s.container_name).toBe('goldpdv-central-api');
    expect(s.build).toEqual({ context: '.', dockerfile: 'packages/central-api/Dockerfile' });
    expect(s.ports).toEqual(['${CENTRAL_API_BIND:-127.0.0.1}:${CENTRAL_API_PORT:-8090}:8090']);
    // The probe reads HEALTH_PORT; a .env shared with the PDV daemons says 8080.
    expect(s.environment).toMatchObject({ HTTP_PORT: '8090', HEALTH_PORT: '8090' });
  });

  it('profile dev: SQL Server containers with a sqlcmd healthcheck', () => {
    for (const name of ['sqlserver-central', 'sqlserver-pdv']) {
      const s = service(name);
      expect(s.profiles).toEqual(['dev']);
      expect(s.image).toBe('mcr.microsoft.com/mssql/server:2022-latest');
      expect(s.environment).toMatchObject({ ACCEPT_EULA: 'Y', MSSQL_SA_PASSWORD: expect.stringMatching(/^\$\{MSSQL_SA_PASSWORD:-.{8,}\}$/) });
      const test = s.healthcheck?.test;
      expect(Array.isArray(test) && test[0] === 'CMD-SHELL' ? test[1] : '').toMatch(/^\/opt\/mssql-tools18\/bin\/sqlcmd -C .*SELECT 1/);
    }
  });

  it('profile dev: dev-setup waits for both servers, then runs scripts that exist, each from its own folder', () => {
    const s = service('dev-setup');
    expect(s.profiles).toEqual(['dev']);
    expect(s.depends_on).toEqual({ 'sqlserver-central': { condition: 'service_healthy' }, 'sqlserver-pdv': { condition: 'service_healthy' } });
    expect(s.volumes).toEqual(['./common:/goldpdv/common:ro']);
    expect(s.working_dir).toBe('/goldpdv/common');
    const script = (s.command ?? []).join('\n');
    // Relative to the mounted common/: the versioned folders (in file order) and the seed.
    expect(script).toContain('for script in sqlserver/central/[0-9][0-9][0-9][0-9]_*.sql');
    expect(script).toContain('for script in sqlserver/pdv/[0-9][0-9][0-9][0-9]_*.sql');
    for (const [, path] of script.matchAll(/\b(sqlserver\/[\w/]+\.sql)\b/g)) expect(existsSync(join(ROOT, 'common', path!)), path).toBe(true);
    expect(script.indexOf('sqlserver/central/')).toBeLessThan(script.indexOf('seed_sample_data.sql'));
    // sqlcmd resolves :r from its working directory; the scripts write includes relative to their own folder.
    expect(script).toMatch(/cd "\$\$\(dirname/);
    // Every $ meant for the container's shell is escaped from compose's interpolation.
    expect(script.replace(/\$\$/g, '')).not.toContain('$');
  });

  it('profile dev: the daemons and central-api point at the containers, and every dependency exists', () => {
    const central = service('central-api-dev');
    expect(central.environment).toMatchObject({ DB_HOST: 'sqlserver-central', HTTP_PORT: '8090', HEALTH_PORT: '8090', DB_URL: '' });
    for (const name of ['pull-dev', 'push-dev']) {
      const s = service(name);
      expect(s.profiles).toEqual(['dev']);
      expect(s.environment).toMatchObject({ DB_HOST: 'sqlserver-pdv', DB_URL: '', CENTRAL_API_URL: 'http://central-api-dev:8090' });
      // The token the daemons send is the one central-api-dev registers for their PDV_ID.
      const { PDV_ID, CENTRAL_API_TOKEN } = s.environment!;
      expect(central.environment?.PDV_TOKENS).toBe(`${PDV_ID}:1:${CENTRAL_API_TOKEN}`);
    }
    for (const [name, s] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(s.depends_on ?? {})) {
        const target = service(dependency);
        // A dependency in a profile the dependent is not in would not start with it.
        for (const profile of target.profiles ?? []) expect(s.profiles ?? [], `${name} -> ${dependency}`).toContain(profile);
      }
    }
  });

  it('uses x- anchors for the shared service settings', () => {
    expect(composeText).toMatch(/^x-goldpdv-service: &goldpdv-service$/m);
    expect(composeText.match(/<<: \[\*goldpdv-service,/g)?.length).toBe(NODE_SERVICES.length);
  });
});

// ---------------------------------------------------------------------------------------------------------
// .dockerignore
// ---------------------------------------------------------------------------------------------------------

/** Docker's rule: the last pattern that matches a path, or one of its parent folders, decides. */
function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { negated, regex: globToRegExp(pattern) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negated;
    return excluded;
  };
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      // "**/" matches any number of folders, none included.
      source += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const ignored = dockerignoreMatcher(read('.dockerignore'));

describe('.dockerignore', () => {
  it.each([
    'node_modules/vitest/package.json',
    'packages/core/node_modules/zod/package.json',
    '.env',
    '.env.production',
    'push-service/.env',
    'logs/push-service.1.log',
    'packages/core/dist/index.js',
    'push-service/tsconfig.tsbuildinfo',
    '.git/HEAD',
    'coverage/index.html',
    '.data/pglite/PG_VERSION',
    'packages/core/test/health.test.ts',
  ])('keeps %s out of the build context', (path) => {
    expect(ignored(path)).toBe(true);
  });

  it.each([
    'package.json',
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    '.npmrc',
    'tsconfig.base.json',
    'packages/core/src/index.ts',
    'packages/core/tsconfig.json',
    'pull-service/sync-tables.json',
    'common/sqlserver/pdv/0001_sample_catalog_replica.sql',
    'common/sqlserver_enable_change_tracking.sql',
  ])('sends %s', (path) => {
    expect(ignored(path)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}
interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Logical instructions: comments dropped, backslash continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (pending === '' && line.trim() === '')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      return;
    }
    const full = `${pending}${line.trim()}`;
    pending = '';
    const match = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!, line: startLine });
  });
  return instructions;
}

function stagesOf(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const asAt = words.findIndex((w) => w.toUpperCase() === 'AS');
      stages.push({ image: words[0]!, name: asAt > 0 ? words[asAt + 1] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** Exec form (JSON array) or shell form, as the list of words. */
function words(args: string): string[] {
  return args.trim().startsWith('[') ? (JSON.parse(args) as string[]) : args.trim().split(/\s+/);
}

interface Copy {
  from: string | undefined;
  sources: string[];
  destination: string;
}
function copiesOf(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const all = i.args.split(/\s+/);
      const from = all.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = all.filter((w) => !w.startsWith('--'));
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

/** Files under a folder of the repository, as the build context would list them before .dockerignore. */
function filesUnder(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = posix.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

const DOCKERFILES = [
  { dockerfile: 'push-service/Dockerfile', port: '8080' },
  { dockerfile: 'pull-service/Dockerfile', port: '8080' },
  { dockerfile: 'packages/central-api/Dockerfile', port: '8090' },
];

describe.each(DOCKERFILES)('$dockerfile', ({ dockerfile, port }) => {
  const text = read(dockerfile);
  const instructions = parseDockerfile(text);
  const stages = stagesOf(instructions);
  const final = stages.at(-1)!;
  const finalOf = (keyword: string): Instruction[] => final.instructions.filter((i) => i.keyword === keyword);
  const packageDir = dirname(dockerfile);
  const packageName = (JSON.parse(read(join(packageDir, 'package.json'))) as { name: string }).name;

  it('is multi-stage, with a slim Node 20 final stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]!.name).toBe('build');
    expect(final.image).toMatch(/^node:20[\w.-]*slim$/);
  });

  it('runs as a user other than root', () => {
    const user = finalOf('USER').at(-1)?.args.trim();
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('has a HEALTHCHECK with a CMD, the same probe as docker-compose.yml', () => {
    const healthchecks = finalOf('HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    const match = /^(.*?)\bCMD\s+(.+)$/.exec(healthchecks[0]!.args);
    expect(match, healthchecks[0]!.args).not.toBeNull();
    expect(match![1]).toMatch(/--interval=30s/);
    expect(match![1]).toMatch(/--timeout=5s/);
    expect(match![1]).toMatch(/--start-period=30s/);
    expect(match![1]).toMatch(/--retries=3/);
    expect(words(match![2]!)).toEqual(['node', HEALTHCHECK_SCRIPT]);
  });

  it('starts node under tini as PID 1', () => {
    expect(words(finalOf('ENTRYPOINT').at(-1)?.args ?? '[]')[0]).toMatch(/(^|\/)(tini|docker-init)$/);
    expect(final.instructions.some((i) => i.keyword === 'RUN' && /apt-get install .*--no-install-recommends.* tini\b/.test(i.args))).toBe(true);
    expect(words(finalOf('CMD').at(-1)?.args ?? '[]')).toEqual(['node', 'dist/main.js']);
  });

  it('sets NODE_ENV=production and the schema folder, and exposes its port', () => {
    const env = finalOf('ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bDB_SCHEMA_DIR=\/app\/common\b/);
    expect(finalOf('EXPOSE').map((i) => i.args.trim())).toEqual([port]);
    expect(final.instructions.some((i) => i.keyword === 'RUN' && /chown node:node \/var\/log\/goldpdv/.test(i.args))).toBe(true);
  });

  it('installs from the lockfile as it is, and adds nothing from the network', () => {
    expect(instructions.some((i) => i.keyword === 'RUN' && /pnpm install\b.*--frozen-lockfile/.test(i.args))).toBe(true);
    for (const add of instructions.filter((i) => i.keyword === 'ADD')) expect(add.args).not.toMatch(/https?:\/\/|git@/);
  });

  it('deploys its own package, and ships the build output, not the sources', () => {
    const build = stages[0]!;
    expect(build.instructions.some((i) => i.keyword === 'RUN' && i.args.includes(`pnpm deploy --offline --filter ${packageName} --prod /out`))).toBe(true);
    const shipped = copiesOf(final).filter((c) => c.from === 'build');
    expect(shipped.map((c) => c.sources[0])).toEqual(['/out/package.json', '/out/node_modules', `/repo/${packageDir}/dist`]);
    expect(copiesOf(final).some((c) => c.from === undefined && c.sources.some((s) => s.includes('src')))).toBe(false);
  });

  it('COPYs only paths that exist and that .dockerignore lets into the context', () => {
    const stageNames = stages.map((s) => s.name).filter(Boolean);
    const fromContext = stages.flatMap(copiesOf).filter((c) => c.from === undefined);
    expect(fromContext.length).toBeGreaterThan(0);
    for (const copy of fromContext) {
      for (const source of copy.sources) {
        expect(existsSync(join(ROOT, source)), `${dockerfile}: COPY ${source}`).toBe(true);
        expect(ignored(source), `${dockerfile}: COPY ${source} is excluded by .dockerignore`).toBe(false);
        if (statSync(join(ROOT, source)).isDirectory()) {
          // The folder's sources and configuration reach the build; its build output and tests need not.
          const needed = filesUnder(source).filter((f) => /\/(src\/|tsconfig\.json$|package\.json$)|^common\//.test(f));
          expect(needed.length, source).toBeGreaterThan(0);
          for (const file of needed) expect(ignored(file), `${file} is excluded by .dockerignore`).toBe(false);
        }
      }
    }
    for (const copy of stages.flatMap(copiesOf).filter((c) => c.from !== undefined)) expect(stageNames).toContain(copy.from);
  });

  it('copies every workspace manifest before installing, so the lockfile matches what is installed', () => {
    const manifests = ['packages/core', 'packages/central-api', 'pull-service', 'push-service'].map((p) => `${p}/package.json`);
    const build = stages[0]!;
    const install = build.instructions.findIndex((i) => i.keyword === 'RUN' && i.args.includes('pnpm install'));
    const copiedBefore = copiesOf({ ...build, instructions: build.instructions.slice(0, install) }).flatMap((c) => c.sources);
    for (const manifest of [...manifests, 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json', '.npmrc']) expect(copiedBefore).toContain(manifest);
  });

  it('points its healthcheck and CMD at files the build produces (run `pnpm build` first)', () => {
    const workspace = new Map<string, string>(
      ['packages/core', 'packages/central-api', 'pull-service', 'push-service'].map((dir) => [(JSON.parse(read(`${dir}/package.json`)) as { name: string }).name, dir]),
    );
    const inPackage = /^\/app\/node_modules\/(@[^/]+\/[^/]+)\/(.+)$/.exec(HEALTHCHECK_SCRIPT)!;
    const coreDir = workspace.get(inPackage[1]!);
    expect(coreDir).toBe('packages/core');
    // Shipped by pnpm deploy only if core's "files" covers it.
    const coreFiles = (JSON.parse(read('packages/core/package.json')) as { files: string[] }).files;
    expect(coreFiles.some((f) => inPackage[2]!.startsWith(`${f.replace(/\/$/, '')}/`))).toBe(true);
    expect(existsSync(join(ROOT, coreDir!, inPackage[2]!)), `${coreDir}/${inPackage[2]}`).toBe(true);
    expect(existsSync(join(ROOT, packageDir, 'dist/main.js')), `${packageDir}/dist/main.js`).toBe(true);
  });
});

describe('the images named in docker-compose.yml', () => {
  it('are built from the Dockerfiles checked above', () => {
    const built = Object.values(compose.services)
      .map((s) => s.build?.dockerfile)
      .filter((d): d is string => d !== undefined);
    expect(new Set(built)).toEqual(new Set(DOCKERFILES.map((d) => d.dockerfile)));
    for (const dockerfile of built) expect(relative(ROOT, join(ROOT, dockerfile)).startsWith('..')).toBe(false);
  });
});
