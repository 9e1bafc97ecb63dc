import { config as loadDotenv } from 'dotenv';
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { parseEnv, type Env } from './parse-env.js';

export const CONFIG_EXIT_CODE = 2;

export interface LoadConfigOptions {
  env?: Env;
  /** Variables whose values must never be printed (passwords, tokens, URLs with credentials). */
  secretVariables?: ReadonlySet<string>;
  /** Path of the .env file; default `.env` in the working directory. Existing variables win over the file. */
  dotenvPath?: string;
}

/** Loads `.env` (if present) into process.env and validates it. Throws ConfigError. */
export function loadConfig<Schema extends z.ZodObject>(schema: Schema, options: LoadConfigOptions = {}): z.infer<Schema> {
  if (!options.env) loadDotenv({ path: options.dotenvPath ?? '.env', quiet: true });
  return parseEnv(schema, options.env ?? process.env, options.secretVariables);
}

/**
 * For a daemon's entry point: a bad configuration prints one line on stderr and exits with code 2, with no
 * stack trace, because the person reading it has to fix .env, not the code.
 */
export function loadConfigOrExit<Schema extends z.ZodObject>(
  service: string,
  schema: Schema,
  options: LoadConfigOptions = {},
): z.infer<Schema> {
  try {
    return loadConfig(schema, options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exitOnConfigError(service, error);
  }
}

export function exitOnConfigError(service: string, error: ConfigError): never {
  process.stderr.write(`${service}: invalid configuration: ${error.message}\n`);
  process.exit(CONFIG_EXIT_CODE);
}
