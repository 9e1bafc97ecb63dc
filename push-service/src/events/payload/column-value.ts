import type { DialectName } from '@goldpdv/core';

/**
 * How a column's value reaches the payload. The database turns it into text where the driver would change it
 * (a decimal into a JavaScript number, a datetime2 into a Date that keeps milliseconds only, a bigint past 2^53),
 * and push-service writes the JSON itself, so that both dialects give the same bytes for the same values:
 *   number     integers and floats, written as JSON numbers from their exact text
 *   string     text, decimals with the column's scale ("10.0000"), lowercase uuids, dates, timestamps
 *   boolean    bit / boolean
 *   timestamp  SQL Server's style 121 text, whose space becomes the "T" of ISO 8601
 *   binary     bytes, written as base64
 */
export type ValueKind = 'number' | 'string' | 'boolean' | 'timestamp' | 'binary';

export interface ColumnValue {
  /** The select-list expression for `expression` (a quoted column of an alias). */
  sql: string;
  kind: ValueKind;
}

type Render = (expression: string) => ColumnValue;

const as = (kind: ValueKind, sql: (e: string) => string): Render => (e) => ({ sql: sql(e), kind });

/** SQL Server's INFORMATION_SCHEMA.COLUMNS.DATA_TYPE -> rendering. */
const MSSQL: Readonly<Record<string, Render>> = {
  tinyint: as('number', (e) => `CONVERT(varchar(20), ${e})`),
  smallint: as('number', (e) => `CONVERT(varchar(20), ${e})`),
  int: as('number', (e) => `CONVERT(varchar(20), ${e})`),
  bigint: as('number', (e) => `CONVERT(varchar(20), ${e})`),
  decimal: as('string', (e) => `CONVERT(varchar(50), ${e})`),
  numeric: as('string', (e) => `CONVERT(varchar(50), ${e})`),
  // Style 2: four decimals, no thousands separator.
  money: as('string', (e) => `CONVERT(varchar(50), ${e}, 2)`),
  smallmoney: as('string', (e) => `CONVERT(varchar(50), ${e}, 2)`),
  // Style 3: the digits needed to read the same value back (SQL Server 2016 and later).
  float: as('number', (e) => `CONVERT(varchar(50), ${e}, 3)`),
  real: as('number', (e) => `CONVERT(varchar(50), ${e}, 3)`),
  bit: as('boolean', (e) => `CONVERT(varchar(1), ${e})`),
  uniqueidentifier: as('string', (e) => `LOWER(CONVERT(varchar(36), ${e}))`),
  // Style 23: yyyy-mm-dd. Style 121: yyyy-mm-dd hh:mi:ss.fffffff, with the type's fractional digits.
  date: as('string', (e) => `CONVERT(varchar(10), ${e}, 23)`),
  datetime2: as('timestamp', (e) => `CONVERT(varchar(27), ${e}, 121)`),
  datetime: as('timestamp', (e) => `CONVERT(varchar(27), ${e}, 121)`),
  smalldatetime: as('timestamp', (e) => `CONVERT(varchar(27), ${e}, 121)`),
  // In UTC, as PostgreSQL's timestamptz (which keeps no offset) gives it: 'yyyy-mm-dd hh:mi:ss.fffffff +00:00'.
  datetimeoffset: as('timestamp', (e) => `CONVERT(varchar(34), SWITCHOFFSET(${e}, '+00:00'), 121)`),
  // No style: time's own string form, hh:mm:ss[.nnnnnnn].
  time: as('string', (e) => `CONVERT(varchar(16), ${e})`),
  char: as('string', (e) => e),
  varchar: as('string', (e) => e),
  nchar: as('string', (e) => e),
  nvarchar: as('string', (e) => e),
  text: as('string', (e) => e),
  ntext: as('string', (e) => e),
  xml: as('string', (e) => `CONVERT(nvarchar(max), ${e})`),
  binary: as('binary', (e) => e),
  varbinary: as('binary', (e) => e),
  image: as('binary', (e) => e),
};

/** PostgreSQL's information_schema.columns.data_type -> rendering. */
const POSTGRES: Readonly<Record<string, Render>> = {
  smallint: as('number', (e) => `${e}::text`),
  integer: as('number', (e) => `${e}::text`),
  bigint: as('number', (e) => `${e}::text`),
  numeric: as('string', (e) => `${e}::text`),
  money: as('string', (e) => `${e}::numeric::text`),
  // Shortest text that reads back as the same value (PostgreSQL 12 and later).
  real: as('number', (e) => `${e}::text`),
  'double precision': as('number', (e) => `${e}::text`),
  boolean: as('boolean', (e) => `${e}::text`),
  uuid: as('string', (e) => `${e}::text`),
  date: as('string', (e) => `to_char(${e}, 'YYYY-MM-DD')`),
  'timestamp without time zone': as('string', (e) => `to_char(${e}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`),
  'timestamp with time zone': as('string', (e) => `to_char(${e} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')`),
  'time without time zone': as('string', (e) => `to_char(${e}::interval, 'HH24:MI:SS.US')`),
  // No cast for character(n): its cast to text drops the padding that SQL Server's char(n) keeps.
  character: as('string', (e) => e),
  'character varying': as('string', (e) => e),
  text: as('string', (e) => e),
  json: as('string', (e) => `${e}::text`),
  jsonb: as('string', (e) => `${e}::text`),
  xml: as('string', (e) => `${e}::text`),
  bytea: as('binary', (e) => e),
};

const RENDERS: Record<DialectName, Readonly<Record<string, Render>>> = { mssql: MSSQL, postgres: POSTGRES };

/** The rendering of a catalog data type, or null when payloads cannot carry it. */
export function columnValue(dialect: DialectName, dataType: string, expression: string): ColumnValue | null {
  const render = RENDERS[dialect][dataType.toLowerCase()];
  return render ? render(expression) : null;
}

/** The catalog's data types that payloads can carry, for the message about one they cannot. */
export function supportedTypes(dialect: DialectName): string[] {
  return Object.keys(RENDERS[dialect]);
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** One value as JSON text. A float the database wrote in a form JSON has no number for (NaN, Infinity) stays text. */
export function jsonValue(kind: ValueKind, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (kind) {
    case 'number': {
      const text = String(value).trim();
      // SQL Server's style 3 writes floats as '1.5000000000000000E+000', a valid JSON number too.
      return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
    }
    case 'boolean':
      return value === true || value === '1' || value === 'true' || value === 1 ? 'true' : 'false';
    case 'timestamp':
      return JSON.stringify(isoFromStyle121(String(value)));
    case 'binary':
      return JSON.stringify(Buffer.from(value as Uint8Array).toString('base64'));
    default:
      return JSON.stringify(String(value));
  }
}

/** 'yyyy-mm-dd hh:mi:ss.fffffff' (and ' +hh:mi' for an offset) -> 'yyyy-mm-ddThh:mi:ss.fffffff+hh:mi'. */
function isoFromStyle121(text: string): string {
  return text.replace(' ', 'T').replace(/ ([+-]\d{2}:\d{2})$/, '$1');
}
