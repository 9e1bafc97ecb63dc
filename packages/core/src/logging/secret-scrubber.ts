import { REDACTED } from './redaction.js';

// Shorter values would also match ordinary words and numbers and shred unrelated log text.
const MIN_SECRET_LENGTH = 4;

// `scheme://user:password@host`: the password part, whatever the scheme (mssql, postgres, http...).
// `"` and `\` end the match because the line is JSON and they only appear escaped inside a value.
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s/@:"\\]*:)[^\s/@"\\]+@/gi;

// ADO-style connection strings accepted by mssql: `Server=db;User Id=sa;Password=...;`.
const KEY_VALUE_PASSWORD = /\b(password|pwd)(\s*=\s*)[^;\s"\\]+/gi;

/**
 * The spellings a secret can take inside a serialized JSON line: as is, JSON-escaped (a quote or
 * backslash in a password), and percent-encoded (a password with `@` or `/` inside a connection URL).
 */
function spellingsOf(secret: string): string[] {
  const jsonEscaped = JSON.stringify(secret).slice(1, -1);
  const encoded = encodeURIComponent(secret);
  return [secret, jsonEscaped, encoded, JSON.stringify(encoded).slice(1, -1)];
}

/**
 * Builds the `hooks.streamWrite` function: it sees each finished line before any destination does,
 * so one pass covers stdout and both files, and it catches secrets that field redaction cannot,
 * such as a password quoted in an error message or a stack trace.
 */
export function createSecretScrubber(secrets: readonly string[] = []): (line: string) => string {
  const literals = [
    ...new Set(secrets.filter((secret) => secret.length >= MIN_SECRET_LENGTH).flatMap(spellingsOf)),
  ].sort((a, b) => b.length - a.length); // a full connection URL goes before the password inside it

  return function scrubSecrets(line: string): string {
    let scrubbed = line;
    for (const literal of literals) {
      if (scrubbed.includes(literal)) scrubbed = scrubbed.split(literal).join(REDACTED);
    }
    return scrubbed
      .replace(URL_PASSWORD, `$1${REDACTED}@`)
      .replace(KEY_VALUE_PASSWORD, `$1$2${REDACTED}`);
  };
}
