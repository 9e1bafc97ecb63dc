import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { ConfigError } from '../src/errors/index.js';
import { readCaFile } from '../src/http/ca-file.js';
import { TLS_FIXTURE } from './support/tls-server.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('reads a PEM file, and turns a missing file or one without a certificate into a ConfigError naming the variable', () => {
  expect(readCaFile(TLS_FIXTURE.certFile)).toContain('-----BEGIN CERTIFICATE-----');
  const missing = (() => {
    try {
      readCaFile('/etc/goldpdv/no-such-ca.pem');
    } catch (error) {
      return error;
    }
  })();
  expect(missing).toBeInstanceOf(ConfigError);
  expect((missing as ConfigError).message).toBe('CENTRAL_API_CA_FILE: expected a readable PEM file; found "/etc/goldpdv/no-such-ca.pem" (ENOENT)');
  const dir = mkdtempSync(join(tmpdir(), 'gp-ca-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'not-a-cert.pem'), 'hello');
  expect(() => readCaFile(join(dir, 'not-a-cert.pem'))).toThrow(/without one$/);
});
