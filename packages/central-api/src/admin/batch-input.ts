import { readFileSync } from 'node:fs';
import type { NewPdv } from '../pdv/pdv-admin.js';
import { PdvRefusal } from '../pdv/pdv-refusal.js';
import { UsageError } from './cli-args.js';

/** The largest batch one command registers (one transaction; tokens printed once). */
export const MAX_BATCH = 1_000;

/**
 * `pdv add --from-csv <file>`: one PDV per line, `pdv_id,loja_id[,label]`. A first line naming the columns, empty
 * lines and lines starting with # are skipped. A label may be quoted ("Loja 01, caixa 1") with "" for a quote.
 * `defaultLoja` (--loja) fills an empty loja_id. A file that cannot be read or a line that cannot be parsed refuses
 * the whole batch (nothing is registered).
 */
export function readPdvCsv(file: string, defaultLoja: number | undefined): NewPdv[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PdvRefusal(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const pdvs: NewPdv[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const fields = splitCsvLine(line, `${file}:${index + 1}`);
    if (pdvs.length === 0 && fields[0]?.trim().toLowerCase() === 'pdv_id') continue;
    const [pdvId = '', loja = '', label] = fields.map((field) => field.trim());
    if (fields.length > 3) throw new PdvRefusal(`${file}:${index + 1}: expected pdv_id,loja_id[,label]; found ${fields.length} fields`);
    const lojaId = loja === '' ? defaultLoja : /^\d{1,10}$/.test(loja) ? Number(loja) : Number.NaN;
    if (lojaId === undefined || Number.isNaN(lojaId)) throw new PdvRefusal(`${file}:${index + 1}: expected a loja id after ${pdvId || 'the PDV id'} (or --loja for all lines)`);
    pdvs.push({ pdvId, lojaId, label: label === undefined || label === '' ? null : label });
  }
  if (pdvs.length === 0) throw new PdvRefusal(`${file} lists no PDV (pdv_id,loja_id[,label] per line)`);
  if (pdvs.length > MAX_BATCH) throw new PdvRefusal(`${file} lists ${pdvs.length} PDVs; at most ${MAX_BATCH} per command`);
  return pdvs;
}

/**
 * `pdv add --count N --pattern 'loja01-pdv{nn}' --loja 1 [--start 1]`: N PDVs numbered from `start`, `{n}` the
 * number, `{nn}`/`{nnn}` zero-padded to that width.
 */
export function patternPdvs(pattern: string, count: number, start: number, lojaId: number, label: string | null): NewPdv[] {
  if (!/\{n+\}/.test(pattern)) throw new UsageError(`--pattern needs {n}, {nn} or {nnn} where the number goes; got ${JSON.stringify(pattern)}`);
  if (count > MAX_BATCH) throw new UsageError(`--count ${count}: at most ${MAX_BATCH} per command`);
  return Array.from({ length: count }, (_, i) => {
    const number = start + i;
    const pdvId = pattern.replace(/\{(n+)\}/g, (_match, width: string) => String(number).padStart(width.length, '0'));
    return { pdvId, lojaId, label };
  });
}

function splitCsvLine(line: string, where: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        current += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"' && current.trim() === '') {
      quoted = true;
      current = '';
    } else if (char === ',') {
      fields.push(current);
      current = '';
    } else current += char;
  }
  if (quoted) throw new PdvRefusal(`${where}: a quoted field is not closed`);
  fields.push(current);
  return fields;
}
