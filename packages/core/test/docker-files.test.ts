/**
 * Static checks of the Docker files: no Docker engine is needed, so a typo in a COPY path, a compose key the
 * specification does not know, or a healthcheck pointing at a file the build does not produce is caught in
 * CI. They do not prove that an image builds or runs. Needs `pnpm build` first (the built output is checked).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readBuildContext } from '../../../scripts/image-rehearsal/copy-step.js';
import { planDockerfile, type Stage, type Step } from '../../../scripts/image-rehearsal/dockerfile-plan.js';

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
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
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
  { name: 'pull', container: 'pdv-sync-pull', image: 'pull-service' },
  { name: 'push', container: 'pdv-sync-push', image: 'push-service' },
];
/** A released image: registry and version from .env, never `latest`, and compose stops when the version is unset. */
const imageRef = (image: string) => `\${GOLDPDV_REGISTRY:-ghcr.io/goldpdv}/${image}:\${GOLDPDV_SYNC_VERSION:?set GOLDPDV_SYNC_VERSION in .env to the release to run}`;
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

  it.each(PDV_SERVICES)('runs $name on a PDV with no profile, as $container, from a pinned release, within limits', ({ name, container, image }) => {
    const s = service(name);
    expect(s.profiles).toBeUndefined();
    expect(s.container_name).toBe(container);
    expect(s.image).toBe(imageRef(image));
    expect(s.env_file).toBe('.env');
    // Limits in the form both Compose v1.29 and v2 read (v1 ignores deploy.resources), and a heap inside them.
    expect(s.cpus).toBe('${GOLDPDV_PDV_CPUS:-1.0}');
    expect(s.mem_limit).toBe('${GOLDPDV_PDV_MEMORY:-384m}');
    expect(s.environment?.NODE_OPTIONS).toBe('--max-old-space-size=${GOLDPDV_PDV_HEAP_MB:-256}');
    // `status` inside either container reaches both daemons by their service names.
    expect(s.environment).toMatchObject({ PULL_HEALTH_URL: 'http://pull:8080/health/ready', PUSH_HEALTH_URL: 'http://push:8080/health/ready' });
  });

  it('never runs latest, and mounts the adopter\'s files read-only', () => {
    expect(composeText).not.toMatch(/:latest\b(?!.*mssql)/m);
    for (const name of NODE_SERVICES) expect(service(name).volumes).toContain('${GOLDPDV_CONFIG_DIR:-./config}:/etc/goldpdv:ro');
  });

  it('is file format 2.4 with no top-level name: Compose v1.29 (Debian, Ubuntu) refuses `name`', () => {
    expect(composeText).toMatch(/^version: "2\.4"$/m);
    expect(composeText).not.toMatch(/^name:/m);
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
      .filter((source) => !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('$'));
    expect(mounted.length).toBeGreaterThan(0);
    for (const volume of mounted) expect(Object.keys(compose.volumes), volume).toContain(volume);
    expect(Object.keys(compose.volumes)).toContain('goldpdv-logs');
  });

  it('profile central: central-api on 8090, probed on its own port', () => {
    const s = service('central-api');
    expect(s.profiles).toEqual(['central']);
    expect(s.container_name).toBe('goldpdv-central-api');
    expect(s.image).toBe(imageRef('central-api'));
    expect(s.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile', args: { SERVICE_DIR: 'packages/central-api', PORT: '8090' } });
    expect(s.ports).toEqual(['${CENTRAL_API_BIND:-127.0.0.1}:${CENTRAL_API_PORT:-8090}:8090', '127.0.0.1:${CENTRAL_ADMIN_PORT:-9090}:9090']);
    expect(s.environment).toMatchObject({ ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '9090' });
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
    expect(script).toContain('for script in mssql/central/[0-9][0-9][0-9][0-9]_*.sql');
    expect(script).toContain('for script in mssql/pdv/[0-9][0-9][0-9][0-9]_*.sql');
    for (const [, path] of script.matchAll(/\b(mssql\/[\w/]+\.sql)\b/g)) expect(existsSync(join(ROOT, 'common', path!)), path).toBe(true);
    expect(script.indexOf('mssql/central/')).toBeLessThan(script.indexOf('seed_sample_data.sql'));
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
// .dockerignore, read by the same library as the build rehearsal (pnpm rehearse:images)
// ---------------------------------------------------------------------------------------------------------

const context = readBuildContext(ROOT);
const ignored = (path: string) => context.isIgnored(path);

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
    'common/mssql/pdv/0001_sample_catalog_replica.sql',
    'common/sqlserver_enable_change_tracking.sql',
  ])('sends %s', (path) => {
    expect(ignored(path)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The one Dockerfile, with the build arguments compose gives each image. `pnpm rehearse:images` carries it out;
// these checks are the fast, static half.
// ---------------------------------------------------------------------------------------------------------

const IMAGES = [
  { service: 'pull', dir: 'pull-service', port: '8080' },
  { service: 'push', dir: 'push-service', port: '8080' },
  { service: 'central-api', dir: 'packages/central-api', port: '8090' },
];
const dockerfileText = read('Dockerfile');

describe.each(IMAGES)('Dockerfile for $service', ({ service: name, dir, port }) => {
  const build = service(name).build as { context: string; dockerfile: string; args: Record<string, string> };
  const stages = planDockerfile(dockerfileText, build.args);
  const final = stages.at(-1)!;
  const steps = (stage: Stage, kind: Step['kind']) => stage.steps.filter((step) => step.kind === kind);
  const runs = (stage: Stage) => steps(stage, 'run').map((step) => (step as Extract<Step, { kind: 'run' }>).command);
  const copies = (stage: Stage) => steps(stage, 'copy') as Extract<Step, { kind: 'copy' }>[];
  const packageJson = JSON.parse(read(`${dir}/package.json`)) as { name: string; files?: string[] };

  it('compose builds it from the root Dockerfile, naming an existing package and its directory', () => {
    expect(build.context).toBe('.');
    expect(build.dockerfile).toBe('Dockerfile');
    expect(build.args.SERVICE_DIR).toBe(dir);
    expect(build.args.SERVICE_PACKAGE).toBe(packageJson.name);
  });

  it('is multi-stage, with a slim Node 20 final stage', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]!.name).toBe('build');
    expect(final.image).toMatch(/^node:20[\w.-]*slim$/);
  });

  it('runs as a user other than root', () => {
    const user = (steps(final, 'user').at(-1) as Extract<Step, { kind: 'user' }> | undefined)?.user;
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('has a HEALTHCHECK with the same probe as docker-compose.yml, and runs node dist/main.js under tini', () => {
    expect(final.healthcheck).toEqual(['node', HEALTHCHECK_SCRIPT]);
    expect(dockerfileText).toMatch(/HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3/);
    expect(final.entrypoint?.[0]).toMatch(/(^|\/)(tini|docker-init)$/);
    expect(runs(final).some((command) => /apt-get install .*--no-install-recommends.* tini\b/.test(command))).toBe(true);
    expect(final.cmd).toEqual(['node', 'dist/main.js']);
  });

  it('sets NODE_ENV=production, the schema folder and its port', () => {
    const env = Object.assign({}, ...steps(final, 'env').map((step) => (step as Extract<Step, { kind: 'env' }>).values)) as Record<string, string>;
    expect(env).toMatchObject({ NODE_ENV: 'production', DB_SCHEMA_DIR: '/app/common', HEALTH_PORT: port });
    expect(runs(final).some((command) => /chown node:node \/var\/log\/goldpdv/.test(command))).toBe(true);
  });

  it('installs from the lockfile as it is, deploys its own package without --offline, and ships only /out and common/', () => {
    expect(runs(stages[0]!).some((command) => /pnpm install\b.*--frozen-lockfile/.test(command))).toBe(true);
    expect(runs(stages[0]!)).toContain(`pnpm deploy --filter ${packageJson.name} --prod /out`);
    expect(dockerfileText).not.toMatch(/^RUN .*--offline/m);
    expect(copies(final).map((copy) => [copy.from, copy.sources])).toEqual([
      ['build', ['/out/']],
      [null, ['common']],
    ]);
    // pnpm deploy copies the package's "files": dist/ must be among them (and the default mapping for pull).
    expect(packageJson.files).toContain('dist');
    if (dir === 'pull-service') expect(packageJson.files).toContain('sync-tables.json');
  });

  it('COPYs from the context only paths that exist and that .dockerignore lets in', () => {
    for (const copy of stages.flatMap(copies).filter((c) => c.from === null)) {
      for (const source of copy.sources) {
        expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
        expect(ignored(source), `COPY ${source} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('copies every workspace manifest it builds before installing, so the lockfile matches what is installed', () => {
    const build = stages[0]!;
    const install = build.steps.findIndex((step) => step.kind === 'run' && step.command.includes('pnpm install'));
    const copiedBefore = copies({ ...build, steps: build.steps.slice(0, install) }).flatMap((c) => c.sources);
    for (const manifest of ['packages/core/package.json', `${dir}/package.json`, 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json', '.npmrc']) expect(copiedBefore).toContain(manifest);
  });

  it('points its healthcheck and CMD at files the build produces (run `pnpm build` first)', () => {
    const inPackage = /^\/app\/node_modules\/(@[^/]+\/[^/]+)\/(.+)$/.exec(HEALTHCHECK_SCRIPT)!;
    expect(inPackage[1]).toBe('@goldpdv/core');
    const coreFiles = (JSON.parse(read('packages/core/package.json')) as { files: string[] }).files;
    expect(coreFiles.some((f) => inPackage[2]!.startsWith(`${f.replace(/\/$/, '')}/`))).toBe(true);
    expect(existsSync(join(ROOT, 'packages/core', inPackage[2]!))).toBe(true);
    expect(existsSync(join(ROOT, dir, 'dist/main.js')), `${dir}/dist/main.js`).toBe(true);
  });
});

describe('production dependencies', () => {
  it('core keeps PGlite out of what it installs in production: a development dependency, loaded on demand', () => {
    const core = JSON.parse(read('packages/core/package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(core.dependencies).filter((name) => name.includes('pglite'))).toEqual([]);
    expect(core.devDependencies['@electric-sql/pglite']).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------------------
// Compose v1.29, as Debian and Ubuntu ship it: its own `config` reads the file without an engine.
// ---------------------------------------------------------------------------------------------------------

const composeV1 = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
const composeV1Version = composeV1.status === 0 ? composeV1.stdout.trim() : null;

describe.skipIf(composeV1Version === null)(`docker-compose.yml under Compose v1 (${composeV1Version ?? 'skipped: no docker-compose on PATH; CI installs Debian\'s'})`, () => {
  const inCopy = (env: string, args: string[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-compose-'));
    try {
      writeFileSync(join(dir, 'docker-compose.yml'), composeText);
      writeFileSync(join(dir, '.env'), `${read('.env.example')}\n${env}\n`);
      return spawnSync('docker-compose', args, { cwd: dir, encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.each([[[]], [['--profile', 'central']], [['--profile', 'dev']]])('accepts the file (%j)', (profile) => {
    const result = inCopy('GOLDPDV_SYNC_VERSION=1.2.3', [...profile, 'config', '-q']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('stops, naming the variable, when no release version is pinned', () => {
    const result = inCopy('', ['config', '-q']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set GOLDPDV_SYNC_VERSION in .env to the release to run');
  });
});
