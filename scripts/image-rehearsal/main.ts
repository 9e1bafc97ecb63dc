#!/usr/bin/env tsx
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { readBuildContext } from './copy-step.js';
import { DockerfileError, planDockerfile } from './dockerfile-plan.js';
import { buildStages, StepFailure, type BuiltImage } from './rehearse-image.js';
import { checkRuntime, RuntimeCheckFailure } from './runtime-checks.js';

/**
 * `pnpm rehearse:images`: builds each image of docker-compose.yml from its Dockerfile and build arguments
 * without a Docker engine, then starts what it would run. See docs/docker.md ("Build rehearsal").
 *
 *   --image pull|push|central-api    only these (repeatable); default every image compose builds
 *   --dockerfile <path>              another Dockerfile (e.g. an old one), with --build-arg K=V as needed
 *   --expect-failure <text>          succeed only if the build fails with <text> in its output
 *   --keep                           leave the scratch roots for inspection
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKING_ENV: Record<string, Record<string, string>> = {
  'pull-service': { PDV_ID: 'rehearsal-pdv', CENTRAL_API_URL: 'http://127.0.0.1:9', CENTRAL_API_TOKEN: 'rehearsal-token' },
  'push-service': { PDV_ID: 'rehearsal-pdv', CENTRAL_API_URL: 'http://127.0.0.1:9', CENTRAL_API_TOKEN: 'rehearsal-token' },
  'central-api': {},
};

interface ImageSpec {
  name: string;
  dockerfile: string;
  args: Record<string, string>;
}

function composeImages(): ImageSpec[] {
  type Service = { build?: { dockerfile?: string; args?: Record<string, string> } };
  const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  return ['pull', 'push', 'central-api'].map((name) => {
    const build = compose.services[name]?.build;
    if (!build) throw new Error(`docker-compose.yml: service ${name} has no build section`);
    return { name, dockerfile: join(ROOT, build.dockerfile ?? 'Dockerfile'), args: build.args ?? {} };
  });
}

/** The service an image runs, as its log lines and config errors name it. */
function serviceOf(spec: ImageSpec): string {
  const dir = spec.args.SERVICE_DIR ?? '';
  return dir.endsWith('central-api') ? 'central-api' : dir || spec.name;
}

async function rehearse(spec: ImageSpec, options: { keep: boolean; postgresUrl: string | null }): Promise<{ ok: boolean; output: string; notRehearsed: string[] }> {
  const log = (line: string) => process.stdout.write(`  [${spec.name}] ${line}\n`);
  const scratch = join(tmpdir(), 'goldpdv-rehearsal', spec.name);
  let image: BuiltImage | undefined;
  try {
    const stages = planDockerfile(readFileSync(spec.dockerfile, 'utf8'), spec.args);
    image = await buildStages(stages, readBuildContext(ROOT), scratch, log);
    const notRuntime = await checkRuntime(image, { service: serviceOf(spec), workingEnv: WORKING_ENV[serviceOf(spec)] ?? {}, postgresUrl: options.postgresUrl, log });
    return { ok: true, output: '', notRehearsed: [...image.notRehearsed, ...notRuntime] };
  } catch (error) {
    if (error instanceof StepFailure || error instanceof RuntimeCheckFailure) {
      log(`FAILED: ${error instanceof StepFailure ? error.step : error.message}`);
      return { ok: false, output: error.output, notRehearsed: image?.notRehearsed ?? [] };
    }
    if (error instanceof DockerfileError) {
      log(`FAILED: ${error.message}`);
      return { ok: false, output: error.message, notRehearsed: [] };
    }
    throw error;
  } finally {
    if (!options.keep) {
      const { rmSync } = await import('node:fs');
      rmSync(scratch, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      image: { type: 'string', multiple: true },
      dockerfile: { type: 'string' },
      'build-arg': { type: 'string', multiple: true },
      'expect-failure': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  if (process.getuid?.() !== 0) {
    process.stderr.write('rehearse:images needs root (mount namespaces, overlays and chroot); CI runs as root\n');
    return 2;
  }
  const extraArgs = Object.fromEntries((values['build-arg'] ?? []).map((pair) => [pair.split('=')[0]!, pair.slice(pair.indexOf('=') + 1)]));
  let specs = values.dockerfile
    ? [{ name: 'custom', dockerfile: resolve(values.dockerfile), args: extraArgs }]
    : composeImages().map((spec) => ({ ...spec, args: { ...spec.args, ...extraArgs } }));
  if (values.image) specs = specs.filter((spec) => values.image!.includes(spec.name));
  const postgresUrl = process.env.REHEARSAL_PG_URL ?? process.env.TEST_PG_URL ?? null;

  let failed = 0;
  for (const spec of specs) {
    const started = Date.now();
    process.stdout.write(`image ${spec.name}: ${spec.dockerfile.replace(`${ROOT}/`, '')} ${Object.entries(spec.args).map(([k, v]) => `--build-arg ${k}=${v}`).join(' ')}\n`);
    const result = await rehearse(spec, { keep: values.keep, postgresUrl });
    const seconds = Math.round((Date.now() - started) / 1000);
    for (const gap of result.notRehearsed) process.stdout.write(`  [${spec.name}] not rehearsed: ${gap}\n`);
    const expected = values['expect-failure'];
    if (expected !== undefined) {
      const failedAsExpected = !result.ok && result.output.includes(expected);
      process.stdout.write(`${failedAsExpected ? 'PASS' : 'FAIL'}  ${spec.name}: ${result.ok ? 'built, although it was expected to fail' : failedAsExpected ? `failed with ${expected}, as expected` : 'failed, but not with the expected error'} (${seconds} s)\n`);
      if (!failedAsExpected) {
        failed += 1;
        process.stdout.write(`${result.output.split('\n').slice(-30).join('\n')}\n`);
      } else {
        process.stdout.write(`  ${result.output.split('\n').find((line) => line.includes(expected))?.trim() ?? ''}\n`);
      }
      continue;
    }
    process.stdout.write(`${result.ok ? 'PASS' : 'FAIL'}  ${spec.name} (${seconds} s)\n`);
    if (!result.ok) {
      failed += 1;
      process.stdout.write(`${result.output.split('\n').slice(-40).join('\n')}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rehearse:images: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
