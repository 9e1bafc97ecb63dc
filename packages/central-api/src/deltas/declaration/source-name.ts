/**
 * A central table's name as a declaration writes it: `name` or `schema.name`, each part plain (`cad`, `Produto`)
 * or quoted with brackets (`[Tabela de Preço]`, `]]` for a bracket) or double quotes (`"Order"`, `""` for a
 * quote). A part without quotes cannot hold a dot, a bracket or a quote; anything else (spaces, accents) is kept
 * as written. Without a schema the table lives in the database's default one (dbo, or PostgreSQL's current schema).
 */
export interface SourceTableName {
  schema: string | null;
  name: string;
}

const OPENERS: Record<string, string> = { '[': ']', '"': '"' };

/** The parts of `text`, or a message that says what is wrong with it. */
export function parseSourceTableName(text: string): { ok: true; value: SourceTableName } | { ok: false; message: string } {
  const parts: string[] = [];
  let index = 0;
  for (;;) {
    const opener = text[index];
    let part = '';
    if (opener !== undefined && OPENERS[opener] !== undefined) {
      const closer = OPENERS[opener];
      index += 1;
      for (;;) {
        const char = text[index];
        if (char === undefined) return { ok: false, message: `an opening ${opener} is never closed` };
        index += 1;
        if (char !== closer) { part += char; continue; }
        if (text[index] === closer) { part += closer; index += 1; continue; }
        break;
      }
    } else {
      while (index < text.length && !'.[]"'.includes(text[index]!)) part += text[index++];
      if (part.trim() !== part) return { ok: false, message: 'a part without quotes starts or ends with a space: quote it as [name]' };
    }
    if (part.length === 0) return { ok: false, message: 'a part of the name is empty' };
    parts.push(part);
    if (index === text.length) break;
    if (text[index] !== '.') return { ok: false, message: `unexpected ${JSON.stringify(text[index])} after ${JSON.stringify(part)}: quote the part as [name]` };
    index += 1;
  }
  if (parts.length > 2) return { ok: false, message: 'expected table or schema.table (a database name is not allowed)' };
  return { ok: true, value: parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: null, name: parts[0]! } };
}

/** The name as a person reads it in a log line: schema.name, each part bracketed only when it needs it. */
export function showSourceTableName(source: SourceTableName): string {
  const show = (part: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part) ? part : `[${part.replaceAll(']', ']]')}]`);
  return source.schema === null ? show(source.name) : `${show(source.schema)}.${show(source.name)}`;
}
