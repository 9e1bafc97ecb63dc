import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/index.js';

/**
 * The PEM of CENTRAL_API_CA_FILE, read at start by both daemons. A file that is missing, unreadable or holds no
 * certificate is a configuration error (exit 2, one line), not a crash that a restart policy would repeat.
 */
export function readCaFile(file: string, variable = 'CENTRAL_API_CA_FILE'): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(variable, `${variable}: expected a readable PEM file; found ${JSON.stringify(file)} (${(cause as NodeJS.ErrnoException).code ?? 'unreadable'})`, { cause });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(variable, `${variable}: expected a PEM file with at least one certificate (-----BEGIN CERTIFICATE-----); found ${JSON.stringify(file)} without one`);
  }
  return text;
}
