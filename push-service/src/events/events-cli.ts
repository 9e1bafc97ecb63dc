import { z } from 'zod';
import {
  ConfigError,
  createHttpClient,
  databaseEnv,
  databaseSettingsFromEnv,
  envBool,
  envString,
  envUrl,
  exitOnConfigError,
  formatReconciliation,
  loadConfig,
  openDatabase,
  readCaFile,
  SECRET_VARIABLES,
  type Database,
  type DialectName,
} from '@goldpdv/core';
import { BUNDLED_EVENTS_FILE } from '../config.js';
import type { UnbuiltMarker } from './capture/capture-round.js';
import { CaptureStore } from './capture/capture-store.js';
import { loadEventsDeclaration } from './declaration/load-declaration.js';
import type { EventsModel } from './declaration/events-model.js';
import { eventsScriptName } from './generate/events-script-parts.js';
import { applyEventsScript, eventsScript } from './generate/events-script.js';
import { SQL_TEXT } from './generate/sql-text.js';
import { catalogProblems, readColumnCatalog } from './payload/column-catalog.js';
import { buildPayloads } from './payload/payload-builder.js';
import { payloadStatements } from './payload/payload-sql.js';
import { ReconcileJob } from './reconcile/reconcile-job.js';

export const EVENTS_COMMANDS = ['outbox-triggers', 'reconcile', 'events', 'installation'] as const;

export const EVENTS_USAGE = `  outbox-triggers print [--dialect mssql|postgres]
                                     the capture triggers of PUSH_EVENTS_FILE as a script for a DBA
  outbox-triggers apply              apply them through the schema runner (as the daemon does at start)
  reconcile [--days N | --from D --to D] [--json]
                                     compare this PDV's sales with the central API's now, and record them
  events rebuild <event-id>|--all    build again a payload that could not be built (a dead letter)
  installation show|renew            this database's installation id (renew after restoring a backup)`;

const PROGRAM = 'push-service-cli';

/**
 * The operator's commands for the declared events. They read PUSH_EVENTS_FILE (the bundled sample events when
 * unset) and the DB_* variables, as the daemon does; `reconcile` also CENTRAL_API_URL and CENTRAL_API_TOKEN.
 */
export async function runEventsCommand(command: string, args: readonly string[], json: boolean): Promise<number> {
  const [sub] = args;
  const model = loadModel();
  if (command === 'outbox-triggers' && sub === 'print') {
    const dialect = option(args, '--dialect') ?? dialectFromEnv();
    if (dialect !== 'mssql' && dialect !== 'postgres') return usage('outbox-triggers print needs --dialect mssql|postgres (or DB_* to tell)');
    process.stdout.write(eventsScript(model, dialect));
    return 0;
  }
  const db = await openConfiguredDatabase();
  try {
    if (command === 'outbox-triggers' && sub === 'apply') return await applyTriggers(db, model);
    if (command === 'reconcile') return await reconcile(db, model, args, json);
    if (command === 'events' && sub === 'rebuild') return await rebuild(db, model, args[1]);
    if (command === 'installation' && (sub === 'show' || sub === 'renew')) {
      const store = new CaptureStore(db);
      const id = sub === 'renew' ? await store.renewInstallation() : await store.installationId();
      process.stdout.write(`${sub === 'renew' ? 'new installation id' : 'installation id'} ${id}\n`);
      return 0;
    }
    return usage(`unknown command "${[command, sub ?? ''].join(' ').trim()}"`);
  } finally {
    await db.close();
  }
}

async function applyTriggers(db: Database, model: EventsModel): Promise<number> {
  const problems = catalogProblems(model, await readColumnCatalog(db, model));
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((p) => `the events declaration does not fit this database: ${p}`).join('\n')}\n`);
    return 1;
  }
  const applied = await applyEventsScript(db, model, {});
  process.stdout.write(`${applied ? 'applied' : 'already applied'}: pdv/${eventsScriptName(model)} (${model.events.map((e) => e.type).join(', ')})\n`);
  return 0;
}

async function reconcile(db: Database, model: EventsModel, args: readonly string[], json: boolean): Promise<number> {
  if (model.reconciliation === null) return usage('the events declaration has no "reconciliation" section');
  const env = loadEnv(
    z.object({
      CENTRAL_API_URL: envUrl(['http', 'https']),
      CENTRAL_API_TOKEN: envString('the bearer token issued to this PDV'),
      CENTRAL_API_TLS_VERIFY: envBool().default(true),
      CENTRAL_API_CA_FILE: z.string().optional(),
    }),
  );
  const catalog = await readColumnCatalog(db, model);
  const problems = catalogProblems(model, catalog);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    return 1;
  }
  const http = createHttpClient({
    connectTimeoutMs: 10_000,
    responseTimeoutMs: 30_000,
    rejectUnauthorized: env.CENTRAL_API_TLS_VERIFY,
    ca: env.CENTRAL_API_CA_FILE ? readCaFile(env.CENTRAL_API_CA_FILE) : undefined,
  });
  try {
    const from = option(args, '--from');
    const to = option(args, '--to');
    const days = Number(option(args, '--days') ?? '3');
    if ((from === undefined) !== (to === undefined) || !Number.isInteger(days) || days < 1 || days > 31) return usage('reconcile takes --days N (1-31), or --from and --to (yyyy-mm-dd)');
    const job = new ReconcileJob(db, model.reconciliation, catalog, { http, baseUrl: env.CENTRAL_API_URL, token: env.CENTRAL_API_TOKEN });
    const result = await job.run(from !== undefined && to !== undefined ? { from, to } : { days });
    if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      const lines = [`sales from ${result.from} to ${result.to}, this PDV against the central API`];
      if (result.centralError !== null) lines.push(`  central figures unavailable: ${result.centralError}`);
      lines.push(...formatReconciliation(result.reconciliation));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return result.reconciliation.days.some((day) => day.matches === false) ? 3 : 0;
  } finally {
    http.close();
  }
}

/** Dead letters whose payload was never built: built again from the rows as they are now, back in the outbox. */
async function rebuild(db: Database, model: EventsModel, target: string | undefined): Promise<number> {
  if (target === undefined) return usage('events rebuild needs an event id or --all');
  const store = new CaptureStore(db);
  const letters = await store.listUnbuilt(target === '--all' ? null : target);
  if (letters.length === 0) {
    process.stderr.write(`no dead letter of an unbuilt payload${target === '--all' ? '' : ` with event id ${target}`}\n`);
    return 1;
  }
  const catalog = await readColumnCatalog(db, model);
  const problems = catalogProblems(model, catalog);
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((p) => `the events declaration does not fit this database: ${p}`).join('\n')}\n`);
    return 1;
  }
  let failed = 0;
  for (const letter of letters) {
    const event = model.events.find((e) => e.type === letter.eventType);
    const marker = (JSON.parse(letter.payload) as UnbuiltMarker).payload_not_built;
    if (event === undefined) {
      process.stderr.write(`${letter.eventId}: no event type ${letter.eventType} in the declaration\n`);
      failed += 1;
      continue;
    }
    const [built] = await buildPayloads(db, payloadStatements(event, catalog, SQL_TEXT[db.dialect]), [{ keyText: marker.key, status: marker.status }]);
    if (built!.kind === 'unbuilt') {
      process.stderr.write(`${letter.eventId}: still not built: ${built!.reason}\n`);
      failed += 1;
      continue;
    }
    await store.requeueRebuilt({ eventId: letter.eventId, eventType: letter.eventType, streamKey: built!.streamKey, payload: built!.payload });
    process.stdout.write(`rebuilt ${letter.eventId} (${letter.eventType} ${marker.source} ${marker.key}), back in the outbox\n`);
  }
  return failed === 0 ? 0 : 1;
}

function loadModel(): EventsModel {
  try {
    return loadEventsDeclaration(process.env.PUSH_EVENTS_FILE || BUNDLED_EVENTS_FILE);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(PROGRAM, error);
    throw error;
  }
}

function loadEnv<Schema extends z.ZodObject>(schema: Schema): z.infer<Schema> {
  try {
    return loadConfig(schema, { secretVariables: SECRET_VARIABLES });
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(PROGRAM, error);
    throw error;
  }
}

async function openConfiguredDatabase(): Promise<Database> {
  const env = loadEnv(z.object(databaseEnv));
  try {
    return await openDatabase(databaseSettingsFromEnv(env), PROGRAM);
  } catch (error) {
    if (error instanceof ConfigError) exitOnConfigError(PROGRAM, error);
    throw error;
  }
}

/** The dialect the DB_* variables name, without connecting; null when they name none. */
function dialectFromEnv(): DialectName | null {
  try {
    const kind = databaseSettingsFromEnv(loadConfig(z.object(databaseEnv), { secretVariables: SECRET_VARIABLES })).kind;
    return kind === 'mssql' ? 'mssql' : 'postgres';
  } catch {
    return null;
  }
}

function option(args: readonly string[], name: string): string | undefined {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
}

function usage(message: string): number {
  process.stderr.write(`${message}\n${EVENTS_USAGE}\n`);
  return 64;
}
