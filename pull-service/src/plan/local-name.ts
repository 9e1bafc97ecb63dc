import { identifierProblem } from '@goldpdv/core';

/**
 * A local table's name as the mapping file gives it: `Produto`, `vendas.Produto`, `[Tabela de Preço]`,
 * `"vendas"."Order"`. A part in brackets or double quotes may hold any character, the closing quote doubled
 * (`]]`, `""`); a bare part is taken as written, and cannot hold a dot, a bracket or a double quote. No schema:
 * the connection's default one (dbo on SQL Server, current_schema() on PostgreSQL).
 */
export interface LocalName {
  schema: string | null;
  name: string;
}

/** The parsed name, or the reason it cannot be one (for the mapping's error line). */
export function parseLocalName(text: string): LocalName | string {
  const parts: string[] = [];
  let at = 0;
  while (at <= text.length) {
    const part = readPart(text, at);
    if (typeof part === 'string') return part;
    parts.push(part.value);
    at = part.end;
    if (at === text.length) break;
    if (text[at] !== '.') return `expected a dot between the schema and the table at character ${at + 1}`;
    at += 1;
    if (at === text.length) return 'a name cannot end with a dot';
  }
  if (parts.length > 2) return 'expected table or schema.table (at most one dot outside quotes)';
  for (const part of parts) {
    const problem = identifierProblem(part);
    if (problem !== null) return `${JSON.stringify(part)} cannot be a name: ${problem}`;
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: null, name: parts[0]! };
}

function readPart(text: string, start: number): { value: string; end: number } | string {
  const open = text[start];
  const close = open === '[' ? ']' : open === '"' ? '"' : null;
  if (close === null) {
    let end = start;
    while (end < text.length && text[end] !== '.') {
      if ('[]"'.includes(text[end]!)) return `a bare name cannot hold ${JSON.stringify(text[end])}: put the name in [brackets] or "double quotes"`;
      end += 1;
    }
    return { value: text.slice(start, end), end };
  }
  let value = '';
  let at = start + 1;
  for (;;) {
    if (at >= text.length) return `the name opened with ${open} at character ${start + 1} is not closed`;
    if (text[at] === close) {
      if (text[at + 1] === close) {
        value += close;
        at += 2;
        continue;
      }
      return { value, end: at + 1 };
    }
    value += text[at];
    at += 1;
  }
}

/** The name as logs and status show it, and as a key between tables: schema.name, or name alone. */
export function displayLocalName(local: LocalName): string {
  return local.schema === null ? local.name : `${local.schema}.${local.name}`;
}
