import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

export type Env = Record<string, string | undefined>;

/**
 * Validates environment variables against a zod object whose keys are the variable names. The first problem
 * becomes a ConfigError whose message is one line naming the variable, what was expected and what was found.
 * Values of variables listed in `secretVariables` are never echoed back, only their length.
 */
export function parseEnv<Schema extends z.ZodObject>(
  schema: Schema,
  env: Env,
  secretVariables: ReadonlySet<string> = new Set(),
): z.infer<Schema> {
  const input = normaliseBlankValues(env, Object.keys(schema.shape));
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? '(environment)');
  const found = describeValue(input[variable], secretVariables.has(variable));
  throw new ConfigError(variable, `${variable}: ${describeExpectation(issue)}; found ${found}`, {
    cause: result.error,
  });
}

/** An empty `FOO=` line in .env means "not set", so that the documented default applies. */
function normaliseBlankValues(env: Env, keys: string[]): Env {
  const input: Env = {};
  for (const key of keys) {
    const value = env[key];
    input[key] = value === undefined || value.trim() === '' ? undefined : value.trim();
  }
  return input;
}

function describeExpectation(issue: z.core.$ZodIssue): string {
  // zod's own messages start with "Invalid input: expected X, received Y"; keep the "expected" part, and say
  // "received" ourselves so that secrets stay hidden.
  const message = issue.message.replace(/^Invalid (input|option|value):\s*/i, '');
  const expected = message.replace(/,?\s*received .*$/i, '');
  return expected.startsWith('expected') ? expected : `expected ${expected}`;
}

function describeValue(value: string | undefined, secret: boolean): string {
  if (value === undefined) return 'nothing (the variable is not set)';
  if (secret) return `a value of ${value.length} characters (hidden)`;
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
  return JSON.stringify(shown);
}
