import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError } from '@goldpdv/core';
import { declarationFileSchema, FIELD_NAME, type DeclarationFile, type StatusValue } from './declaration-schema.js';
import { columnOf, sourceIdOf, type EventModel, type EventsModel, type Firing, type ReconciliationModel, type SourceModel } from './events-model.js';

/**
 * Bumped whenever the generated script changes for the same declaration, so that every PDV applies the new
 * script once (its name carries the hash).
 */
export const GENERATOR_VERSION = 1;

/** Reads PUSH_EVENTS_FILE. Every problem found is one line of the ConfigError's message, naming the field. */
export function loadEventsDeclaration(file: string): EventsModel {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw declarationError(file, [`cannot read the file (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`], cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw declarationError(file, [`not valid JSON (${(cause as Error).message})`], cause);
  }
  return parseEventsDeclaration(raw, file);
}

export function parseEventsDeclaration(raw: unknown, file: string): EventsModel {
  // reportInput: each issue carries the value it is about, which its line quotes.
  const parsed = declarationFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw declarationError(file, parsed.error.issues.map(describeIssue), parsed.error);
  const problems: string[] = [];
  const model = buildModel(parsed.data, file, problems);
  if (problems.length > 0) throw declarationError(file, problems);
  return model;
}

function buildModel(declaration: DeclarationFile, file: string, problems: string[]): EventsModel {
  const sources = new Map<string, SourceModel & { events: EventModel[]; watchedValues: string[] }>();
  const sourceIdsFolded = new Map<string, string>();
  const events: EventModel[] = [];
  const types = new Map<string, number>();

  declaration.events.forEach((event, index) => {
    const at = `events[${index}]`;
    if (types.has(event.type)) problems.push(`${at}.type: "${event.type}" is declared twice (also events[${types.get(event.type)}])`);
    types.set(event.type, index);
    const id = sourceIdOf(event.source.table);
    if (id.length > 128) problems.push(`${at}.source.table: the schema and table name together must stay within 128 characters`);
    // On SQL Server names are compared without case: two spellings would put two triggers on one table.
    const folded = id.toLowerCase();
    if (sourceIdsFolded.has(folded) && sourceIdsFolded.get(folded) !== id) {
      problems.push(`${at}.source.table: write "${id}" the same way as in the other events ("${sourceIdsFolded.get(folded)}")`);
    }
    if (!sourceIdsFolded.has(folded)) sourceIdsFolded.set(folded, id);

    const firing: Firing = 'insert' in event.fires
      ? { kind: 'insert' }
      : { kind: 'status', column: event.fires.column, to: event.fires.to.map(asText), from: event.fires.from?.map(asText) ?? null };
    let source = sources.get(id);
    if (source === undefined) {
      source = {
        id,
        table: event.source.table,
        key: event.source.key,
        statusColumn: null,
        watchedValues: [],
        capturesInserts: false,
        events: [],
        captureName: captureNameOf(id, event.source.table.name),
      };
      sources.set(id, source);
    } else if (JSON.stringify(source.key) !== JSON.stringify(event.source.key)) {
      problems.push(`${at}.source.key: events of ${id} must declare the same key columns and types`);
    }
    if (firing.kind === 'insert') source.capturesInserts = true;
    else {
      if (source.statusColumn !== null && source.statusColumn !== firing.column) {
        problems.push(`${at}.fires.column: events of ${id} must watch the same status column ("${source.statusColumn}")`);
      }
      source.statusColumn = firing.column;
      for (const value of [...firing.to, ...(firing.from ?? [])]) if (!source.watchedValues.includes(value)) source.watchedValues.push(value);
    }

    const lookupNames = new Set<string>();
    event.lookups.forEach((lookup, position) => {
      if (lookupNames.has(lookup.name)) problems.push(`${at}.lookups[${position}].name: "${lookup.name}" is used twice`);
      lookupNames.add(lookup.name);
    });
    const checkRef = (where: string, ref: Parameters<typeof columnOf>[0]) => {
      const { lookup } = columnOf(ref);
      if (lookup !== null && !lookupNames.has(lookup)) problems.push(`${where}: no lookup named "${lookup}" in this event`);
    };
    for (const [name, ref] of Object.entries(event.fields)) checkRef(`${at}.fields.${name}`, ref);
    if (event.stream.column !== undefined) checkRef(`${at}.stream.column`, event.stream.column);
    event.children.forEach((child, position) => {
      if (child.field in event.fields) problems.push(`${at}.children[${position}].field: "${child.field}" is also a field`);
      if (event.children.findIndex((other) => other.field === child.field) !== position) problems.push(`${at}.children[${position}].field: "${child.field}" is used twice`);
    });

    const model: EventModel = {
      type: event.type,
      source,
      firing,
      stream: { prefix: event.stream.prefix, column: event.stream.column ?? null },
      lookups: event.lookups.map((lookup) => ({ name: lookup.name, table: lookup.table, join: Object.entries(lookup.join) })),
      fields: Object.entries(event.fields).map(([name, column]) => ({ name, column })),
      children: event.children.map((child) => ({
        field: child.field,
        table: child.table,
        join: Object.entries(child.join),
        orderBy: child.orderBy,
        fields: Object.entries(child.fields).map(([name, column]) => ({ name, column })),
      })),
    };
    source.events.push(model);
    events.push(model);
  });

  const reconciliation = declaration.reconciliation ? reconciliationModel(declaration.reconciliation, events, problems) : null;
  const hash = createHash('sha256').update(JSON.stringify({ generator: GENERATOR_VERSION, declaration }), 'utf8').digest('hex');
  return { file, hash, events, sources: [...sources.values()], reconciliation };
}

function reconciliationModel(declared: NonNullable<DeclarationFile['reconciliation']>, events: readonly EventModel[], problems: string[]): ReconciliationModel | null {
  const find = (type: string, where: string) => {
    const event = events.find((candidate) => candidate.type === type);
    if (event === undefined) problems.push(`${where}: no event of type "${type}" is declared`);
    return event;
  };
  const event = find(declared.event, 'reconciliation.event');
  const minus = declared.minus.map((type, index) => find(type, `reconciliation.minus[${index}]`));
  if (event === undefined || minus.includes(undefined)) return null;
  if (event.firing.kind !== 'status') problems.push('reconciliation.event: expected an event that fires on a status (its "to" values say which rows are sales)');
  for (const [role, field] of [['day', declared.day], ['session', declared.session], ['total', declared.total]] as const) {
    for (const candidate of [event, ...(minus as EventModel[])]) {
      if (!candidate.fields.some((f) => f.name === field)) problems.push(`reconciliation.${role}: "${field}" is not a field of ${candidate.type}`);
    }
  }
  return { event, minus: minus as EventModel[], dayField: declared.day, sessionField: declared.session, totalField: declared.total };
}

/** Status values are compared as text, trailing spaces removed (a char(n) column pads them). */
function asText(value: StatusValue): string {
  return String(value).trimEnd();
}

/**
 * sync_capture_<table>_<8 hex of the source id>: readable in a trigger list, and distinct for two tables of the
 * same name in two schemas (PostgreSQL keeps the trigger functions of every table in one schema).
 */
function captureNameOf(sourceId: string, table: string): string {
  const slug = table.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 60);
  return `sync_capture_${slug}_${createHash('sha256').update(sourceId, 'utf8').digest('hex').slice(0, 8)}`;
}

function declarationError(file: string, problems: readonly string[], cause?: unknown): ConfigError {
  const lines = problems.map((problem) => `PUSH_EVENTS_FILE: ${file}: ${problem}`);
  return new ConfigError('PUSH_EVENTS_FILE', lines.join('\n'), { cause, context: { file, problems: problems.length } });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : FIELD_NAME.test(String(part)) ? `${index === 0 ? '' : '.'}${String(part)}` : `[${JSON.stringify(String(part))}]`))
    .join('');
  const where = path === '' ? '' : `${path}: `;
  if (issue.code === 'unrecognized_keys') return `${where}unknown field ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`;
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  const expected = message.replace(/^Invalid input:\s*/i, '').replace(/,?\s*received .*$/i, '');
  const found = issue.code === 'invalid_key' ? issue.path.at(-1) : issue.input;
  const text = found === undefined ? 'nothing' : (JSON.stringify(found) ?? String(found));
  return `${where}${expected}; found ${issue.code === 'invalid_key' ? 'the name ' : ''}${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
}
