import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WORKFLOW = join(ROOT, '.github/workflows/release.yml');
const VALIDATOR = join(ROOT, 'node_modules/.bin/action-validator');

const validate = (file: string) => spawnSync(VALIDATOR, [file], { encoding: 'utf8' });

describe('the release workflow', () => {
  it('is valid under the GitHub Actions workflow schema (@action-validator/cli)', () => {
    const result = validate(WORKFLOW);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('the check has teeth: a misspelt key is refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gp-workflow-'));
    try {
      const broken = join(dir, 'release.yml');
      writeFileSync(broken, readFileSync(WORKFLOW, 'utf8').replace('runs-on: ubuntu-24.04', 'run-on: ubuntu-24.04'));
      expect(validate(broken).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds each image compose builds, with the same build arguments, for amd64 and arm64, tagged with the version only', () => {
    type Build = { args: Record<string, string> };
    const compose = parseYaml(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { build: Build }> };
    const workflow = parseYaml(readFileSync(WORKFLOW, 'utf8')) as {
      on: { push: { tags: string[] } };
      jobs: { images: { strategy: { matrix: { include: { image: string; service_dir: string; package: string; port: string }[] } }; steps: { uses?: string; with?: Record<string, string> }[] } };
    };
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    const matrix = workflow.jobs.images.strategy.matrix.include;
    for (const [service, image] of [['pull', 'pull-service'], ['push', 'push-service'], ['central-api', 'central-api']] as const) {
      const args = compose.services[service]!.build.args;
      const entry = matrix.find((m) => m.image === image);
      expect(entry, image).toBeDefined();
      expect({ SERVICE_DIR: entry!.service_dir, SERVICE_PACKAGE: entry!.package }).toEqual({ SERVICE_DIR: args.SERVICE_DIR, SERVICE_PACKAGE: args.SERVICE_PACKAGE });
      expect(entry!.port).toBe(args.PORT ?? '8080');
    }
    const build = workflow.jobs.images.steps.find((step) => step.uses?.startsWith('docker/build-push-action'))!;
    expect(build.with!.platforms).toBe('linux/amd64,linux/arm64');
    expect(build.with!.file).toBe('Dockerfile');
    expect(build.with!.tags).toBe('${{ env.REGISTRY }}/${{ matrix.image }}:${{ steps.version.outputs.version }}');
    expect(readFileSync(WORKFLOW, 'utf8')).not.toMatch(/:latest\b/);
  });
});
