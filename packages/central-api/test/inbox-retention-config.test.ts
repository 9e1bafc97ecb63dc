import { join } from 'node:path';
import { ConfigError, parseEnv } from '@goldpdv/core';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnDaemon, type SpawnedDaemon } from '../../core/test/support/spawn-daemon.js';
import { CENTRAL_SECRET_VARIABLES, centralEnvSchema } from '../src/config.js';

const ENTRY = join(REPO_ROOT, 'packages/central-api/dist/main.js');
const load = (env: Record<string, string>) => parseEnv(centralEnvSchema, env, CENTRAL_SECRET_VARIABLES);
const EXPECTED = 'expected 0 (keep every event) or a whole number of days from 35 to 3650';

describe('INBOX_RETENTION_DAYS', () => {
  it.each([
    [undefined, 90],
    ['', 90],
    ['0', 0],
    ['35', 35],
    [' 120 ', 120],
    ['3650', 3_650],
  ])('reads %j as %d days (0: the purge is off)', (value, days) => {
    expect(load(value === undefined ? {} : { INBOX_RETENTION_DAYS: value }).INBOX_RETENTION_DAYS).toBe(days);
  });

  it.each(['7', '34', '3651', '-1', '90d', '1.5', 'never'])('refuses %j, naming the variable', (value) => {
    expect(() => load({ INBOX_RETENTION_DAYS: value })).toThrow(new ConfigError('INBOX_RETENTION_DAYS', `INBOX_RETENTION_DAYS: ${EXPECTED}; found ${JSON.stringify(value)}`));
  });
});

describe('central-api process with a bad INBOX_RETENTION_DAYS', () => {
  const running: SpawnedDaemon[] = [];
  afterEach(async () => {
    for (const daemon of running.splice(0)) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
  });

  it('exits 2 with one line on stderr naming the variable, before it opens the database', async () => {
    const daemon = spawnDaemon(ENTRY, { DB_URL: 'pglite://memory', INBOX_RETENTION_DAYS: '7' });
    running.push(daemon);
    const { code } = await daemon.exited;
    expect(code).toBe(2);
    expect(daemon.stderr()).toBe(`central-api: invalid configuration: INBOX_RETENTION_DAYS: ${EXPECTED}; found "7"\n`);
    expect(daemon.stdout()).toBe('');
  });
});
