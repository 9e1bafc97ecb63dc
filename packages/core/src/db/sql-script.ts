import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';

export type SqlScriptDialect = 'mssql' | 'postgres';

export interface SqlScriptOptions {
  dialect: SqlScriptDialect;
  /**
   * sqlcmd variables. They win over the script's `:setvar` values, which act as defaults here
   * (sqlcmd itself does the opposite: a `:setvar` in the script wins over `-v`).
   */
  variables?: Record<string, string>;
}

export interface SqlScript {
  /** What to send to the server, one round trip each: split on GO for SQL Server, the whole text for PostgreSQL. */
  batches: string[];
  /** The expanded script, directives removed (GO kept), so it can be reviewed or run by hand. */
  text: string;
  /**
   * sha256 hex of the expanded script with its sqlcmd variables left as written ($(NAME)): lets the runner notice
   * a script whose text changed after it was applied, while a variable's value (CT_RETENTION_DAYS, a setting
   * that the process applies on its own) is not a change of the script.
   */
  checksum: string;
}

const GO_LINE = /^\s*go\s*(?:--.*)?$/i;
const SETVAR = /^\s*:setvar\s+([A-Za-z_][\w-]*)(?:\s+(.*?))?\s*$/i;
// Resolved against the including file's folder. sqlcmd resolves :r against its startup folder instead, so a script
// that includes a sibling (mssql/pdv/0010) runs by hand only from its own folder; the entry scripts in common/ name
// paths that mean the same either way.
const MSSQL_INCLUDE = /^\s*:r\s+(.+?)\s*$/i;
// Only meaningful to an interactive sqlcmd session; the runner already stops at the first failing batch.
const ON_ERROR = /^\s*:on\s+error\s+(?:exit|ignore)\s*$/i;
const OTHER_SQLCMD_COMMAND = /^\s*:[A-Za-z]/;
const PG_INCLUDE = /^\s*\\(?:ir|include_relative)\s+(.+?)\s*$/;
const VARIABLE = /\$\(([A-Za-z_][\w-]*)\)/g;

interface Expansion {
  dialect: SqlScriptDialect;
  /** Keys are uppercased: sqlcmd variable names are case-insensitive. */
  overrides: Map<string, string>;
  defaults: Map<string, string>;
  /** Files being expanded, outermost first, to report include cycles. */
  stack: string[];
  out: string[];
  /** The same lines with their variables not substituted: what the checksum is taken of. */
  template: string[];
}

interface Position {
  file: string;
  line: number;
}

const where = (at: Position): string => `${at.file}:${at.line}`;

export async function loadSqlScript(filePath: string, options: SqlScriptOptions): Promise<SqlScript> {
  const state: Expansion = {
    dialect: options.dialect,
    overrides: new Map(Object.entries(options.variables ?? {}).map(([k, v]) => [k.toUpperCase(), v])),
    defaults: new Map(),
    stack: [],
    out: [],
    template: [],
  };
  await expandFile(resolve(filePath), state, undefined);
  const text = state.out.join('\n');
  return {
    batches: options.dialect === 'mssql' ? splitBatches(state.out) : nonBlank([text]),
    text,
    checksum: createHash('sha256').update(state.template.join('\n'), 'utf8').digest('hex'),
  };
}

async function expandFile(file: string, state: Expansion, includedAt: Position | undefined): Promise<void> {
  if (state.stack.includes(file)) {
    const chain = [...state.stack, file].join(' -> ');
    throw new ConfigError(file, `SQL include cycle at ${where(includedAt!)}: ${chain}`, { context: { chain } });
  }
  const lines = await readLines(file, includedAt);
  state.stack.push(file);
  for (const [index, line] of lines.entries()) {
    await expandLine(line, { file, line: index + 1 }, state);
  }
  state.stack.pop();
}

async function readLines(file: string, includedAt: Position | undefined): Promise<string[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const message = includedAt
      ? `${where(includedAt)} includes ${file}, which does not exist`
      : `SQL script ${file} does not exist`;
    throw new ConfigError(file, message, { cause: error, context: includedAt ? { includedAt: where(includedAt) } : {} });
  }
  // A BOM or CRLF from a Windows checkout must not change the checksum of an otherwise identical script.
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

async function expandLine(line: string, at: Position, state: Expansion): Promise<void> {
  if (state.dialect === 'postgres') {
    const include = PG_INCLUDE.exec(line);
    if (include) return expandFile(resolve(dirname(at.file), unquote(include[1]!)), state, at);
    state.out.push(line);
    state.template.push(line);
    return;
  }
  const setvar = SETVAR.exec(line);
  if (setvar) return setVariable(setvar[1]!, setvar[2], at, state);
  const include = MSSQL_INCLUDE.exec(line);
  if (include) {
    const target = unquote(substitute(include[1]!, at, state));
    return expandFile(resolve(dirname(at.file), target), state, at);
  }
  if (ON_ERROR.test(line)) return;
  if (OTHER_SQLCMD_COMMAND.test(line)) {
    throw new ConfigError(at.file, `${where(at)}: unsupported sqlcmd command: ${line.trim()}`, { context: { line: at.line } });
  }
  state.out.push(substitute(line, at, state));
  state.template.push(line);
}

function setVariable(name: string, rawValue: string | undefined, at: Position, state: Expansion): void {
  const key = name.toUpperCase();
  // As in sqlcmd, `:setvar NAME` with no value removes the variable.
  if (rawValue === undefined || rawValue === '') state.defaults.delete(key);
  else state.defaults.set(key, unquote(substitute(rawValue, at, state)));
}

function substitute(text: string, at: Position, state: Expansion): string {
  return text.replace(VARIABLE, (_match, name: string) => {
    const key = name.toUpperCase();
    const value = state.overrides.get(key) ?? state.defaults.get(key);
    if (value !== undefined) return value;
    throw new ConfigError(name, `${where(at)}: sqlcmd variable $(${name}) is not defined (add ":setvar ${name} value" or pass it in variables)`, {
      context: { file: at.file, line: at.line },
    });
  });
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function splitBatches(lines: string[]): string[] {
  const batches: string[] = [];
  let current: string[] = [];
  for (const line of lines) {
    if (GO_LINE.test(line)) {
      batches.push(current.join('\n'));
      current = [];
    } else {
      current.push(line);
    }
  }
  batches.push(current.join('\n'));
  return nonBlank(batches);
}

function nonBlank(batches: string[]): string[] {
  return batches.map((batch) => batch.trim()).filter((batch) => batch !== '');
}
