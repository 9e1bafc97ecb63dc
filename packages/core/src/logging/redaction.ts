/** What replaces a redacted value, in fields and inside strings alike, so operators learn one marker. */
export const REDACTED = '[redacted]';

// Keys whose value is a credential wherever they appear. `url`-like keys are deliberately absent:
// request and API URLs are useful in logs, and the credentials inside them are removed by the
// line scrubber instead (see secret-scrubber.ts). Keys named for connection URLs carry a password by definition.
const SECRET_KEYS = [
  'password',
  'pass',
  'passwd',
  'pwd',
  'secret',
  'clientSecret',
  'token',
  'accessToken',
  'refreshToken',
  'apiToken',
  'apiKey',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'connectionString',
  'connectionUrl',
  'databaseUrl',
];

// pino's redaction wildcards match exactly one level, so each key is listed at the depths we
// actually log: `{ password }`, `{ db: { password } }` and `{ req: { headers: { authorization } } }`.
// Deeper values are left to the value-based scrubbing of configured secrets.
const DEPTH_PREFIXES = ['', '*.', '*.*.'];

function pathFor(prefix: string, key: string): string {
  const simple = /^[A-Za-z_$][\w$]*$/.test(key);
  if (simple) return `${prefix}${key}`;
  // Keys such as `x-api-key` need bracket notation; a bracket follows the wildcard without a dot.
  return `${prefix.replace(/\.$/, '')}["${key}"]`;
}

/** Paths for pino's `redact` option. */
export const REDACTED_PATHS: readonly string[] = DEPTH_PREFIXES.flatMap((prefix) =>
  SECRET_KEYS.map((key) => pathFor(prefix, key)),
);
