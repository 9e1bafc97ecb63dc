import { z } from 'zod';
import { databaseEnv, type Database } from '@goldpdv/core';
import { centralEnv } from '../config.js';
import { storesFor } from '../dialect-stores.js';
import { readFleet } from '../pdv/fleet.js';
import { activatePdv, addPdvs, movePdv, revokePdv, rotatePdvToken, type IssuedPdv, type NewPdv } from '../pdv/pdv-admin.js';
import { fleetThresholdsOf } from '../pdv/pdv-config.js';
import { PdvRefusal } from '../pdv/pdv-refusal.js';
import type { PdvStore } from '../pdv/pdv-store.js';
import { openAdminDatabase, schemaProblem } from './admin-database.js';
import { patternPdvs, readPdvCsv } from './batch-input.js';
import { intOption, parseCliArgs, UsageError, type CliArgs } from './cli-args.js';
import { EXIT, refused, type ExitCode } from './exit-codes.js';
import { formatFleet } from './fleet-output.js';

export const PDV_USAGE = `  pdv add <pdv-id> --loja <id> [--label <text>] [--json]
                                     register a PDV; prints its token once (only its sha256 is stored)
  pdv add --from-csv <file> [--loja <id>] [--json]
                                     register a batch (pdv_id,loja_id[,label] per line); prints pdv_id,loja_id,token
  pdv add --count <n> --pattern <id{nn}> --loja <id> [--start <n>] [--label <text>] [--json]
                                     register n PDVs named by the pattern; prints pdv_id,loja_id,token
  pdv list [--loja <id>] [--active | --revoked] [--json]
                                     every PDV, most urgent first: loja, state, created, token issued, last
                                     request, sync state
  pdv revoke <pdv-id>                refuse its token (every replica within AUTH_CACHE_TTL_MS)
  pdv activate <pdv-id>              accept a revoked PDV's token again
  pdv rotate-token <pdv-id>          issue a new token, printed once; the old one stops working
  pdv move <pdv-id> --loja <id>      move a PDV to another loja`;

/** What the admin commands read: the database, and the two settings their messages quote. */
const adminEnv = z.object({
  ...databaseEnv,
  AUTH_CACHE_TTL_MS: centralEnv.AUTH_CACHE_TTL_MS,
  PDV_LAST_SEEN_INTERVAL_MS: centralEnv.PDV_LAST_SEEN_INTERVAL_MS,
  FLEET_SILENT_MINUTES: centralEnv.FLEET_SILENT_MINUTES,
  FLEET_BEHIND_MINUTES: centralEnv.FLEET_BEHIND_MINUTES,
});
type AdminEnv = z.infer<typeof adminEnv>;

interface Context {
  db: Database;
  store: PdvStore;
  config: AdminEnv;
  args: CliArgs;
}

type Subcommand = (context: Context) => Promise<ExitCode>;

const VALUED = ['loja', 'label', 'from-csv', 'count', 'pattern', 'start'];
const SWITCHES = ['json', 'active', 'revoked'];

/**
 * `central-api pdv ...`: the PDV registry, by hand. Exit 0 done, 1 refused (one line on stderr, nothing
 * changed), 2 bad configuration, 64 usage. Tokens go to stdout (once); what happened goes to stderr, so that
 * stdout can be redirected to a file.
 */
export async function runPdvCommand(program: string, argv: readonly string[]): Promise<ExitCode> {
  const [name, ...rest] = argv;
  const subcommand = name === undefined ? undefined : SUBCOMMANDS[name];
  if (subcommand === undefined) throw new UsageError(name === undefined ? 'pdv needs a subcommand' : `unknown pdv subcommand "${name}"`);
  const args = parseCliArgs(rest, VALUED, SWITCHES);
  const { config, db } = await openAdminDatabase(program, adminEnv, { checkAtStart: true });
  try {
    return await subcommand({ db, store: storesFor(db.dialect).pdvs, config, args });
  } catch (error) {
    return refused(program, error instanceof PdvRefusal ? error.message : schemaProblem(error, db.dialect), error);
  } finally {
    await db.close();
  }
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  async add({ db, store, args }) {
    const batch = newPdvs(args);
    const issued = await addPdvs(db, store, batch.pdvs);
    if (!batch.many) {
      const [pdv] = issued as [IssuedPdv];
      if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(pdv)}\n`);
      else process.stdout.write(`CENTRAL_API_TOKEN=${pdv.token}\n`);
      process.stderr.write(`registered ${pdv.pdvId} in loja ${pdv.lojaId}; its token is printed this once (only its sha256 is stored): put it in the PDV's .env as CENTRAL_API_TOKEN, with PDV_ID=${pdv.pdvId}\n`);
      return EXIT.ok;
    }
    if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(issued, null, 2)}\n`);
    else process.stdout.write(`pdv_id,loja_id,token\n${issued.map((pdv) => `${pdv.pdvId},${pdv.lojaId},${pdv.token}`).join('\n')}\n`);
    process.stderr.write(`registered ${issued.length} PDVs; their tokens are printed this once (only their sha256 is stored)\n`);
    return EXIT.ok;
  },

  async list({ db, config, args }) {
    if (args.positional.length > 0) throw new UsageError(`pdv list takes no PDV id (got ${args.positional[0]})`);
    if (args.flags.has('active') && args.flags.has('revoked')) throw new UsageError('pdv list takes --active or --revoked, not both');
    const active = args.flags.has('active') ? true : args.flags.has('revoked') ? false : undefined;
    const fleet = await readFleet(db, storesFor(db.dialect), { lojaId: intOption(args, 'loja'), active }, fleetThresholdsOf(config));
    process.stdout.write(args.flags.has('json') ? `${JSON.stringify(fleet, null, 2)}\n` : formatFleet(fleet, config.PDV_LAST_SEEN_INTERVAL_MS));
    return EXIT.ok;
  },

  async revoke({ db, store, config, args }) {
    const { pdv, changed } = await revokePdv(db, store, onePdvId(args, 'revoke'));
    process.stdout.write(
      changed
        ? `revoked ${pdv.pdvId} (loja ${pdv.lojaId}): every central-api replica refuses its token within AUTH_CACHE_TTL_MS (${config.AUTH_CACHE_TTL_MS} ms); its events already received stay in sync_inbox\n`
        : `${pdv.pdvId} was revoked already; nothing changed\n`,
    );
    return EXIT.ok;
  },

  async activate({ db, store, config, args }) {
    const { pdv, changed } = await activatePdv(db, store, onePdvId(args, 'activate'));
    const within = Math.min(5_000, config.AUTH_CACHE_TTL_MS);
    process.stdout.write(
      changed
        ? `activated ${pdv.pdvId} (loja ${pdv.lojaId}): its current token is accepted again within ${within} ms (a refused token is remembered that long); pdv rotate-token ${pdv.pdvId} if that token may have leaked\n`
        : `${pdv.pdvId} is active already; nothing changed\n`,
    );
    return EXIT.ok;
  },

  async 'rotate-token'({ db, store, config, args }) {
    const { pdv, token } = await rotatePdvToken(db, store, onePdvId(args, 'rotate-token'));
    if (args.flags.has('json')) process.stdout.write(`${JSON.stringify({ pdvId: pdv.pdvId, lojaId: pdv.lojaId, token })}\n`);
    else process.stdout.write(`CENTRAL_API_TOKEN=${token}\n`);
    process.stderr.write(
      `new token for ${pdv.pdvId} (loja ${pdv.lojaId}), printed this once; the old token is refused by every replica within AUTH_CACHE_TTL_MS (${config.AUTH_CACHE_TTL_MS} ms). ` +
        `Put it in the PDV's .env and recreate its containers (docker compose up -d --force-recreate); until then its events wait in the outbox${pdv.active ? '' : `. The PDV stays revoked: pdv activate ${pdv.pdvId}`}\n`,
    );
    return EXIT.ok;
  },

  async move({ db, store, config, args }) {
    const lojaId = intOption(args, 'loja');
    if (lojaId === undefined) throw new UsageError('pdv move needs --loja <id>');
    const { pdv, fromLojaId } = await movePdv(db, store, onePdvId(args, 'move'), lojaId);
    process.stdout.write(
      [
        `moved ${pdv.pdvId} from loja ${fromLojaId} to loja ${pdv.lojaId}; every central-api replica serves it as loja ${pdv.lojaId} within AUTH_CACHE_TTL_MS (${config.AUTH_CACHE_TTL_MS} ms).`,
        `Its row-filtered tables must be loaded again: on the PDV, docker compose stop pull; docker compose run --rm pull node dist/cli.js resnapshot --filtered; docker compose start pull.`,
        `Events still in its outbox name loja ${fromLojaId}; the reference handlers refuse them now (drain the outbox before a move: push-service backlog shows pending 0).`,
      ].join('\n') + '\n',
    );
    return EXIT.ok;
  },
};

function onePdvId(args: CliArgs, command: string): string {
  if (args.positional.length !== 1) throw new UsageError(`pdv ${command} needs exactly one PDV id`);
  return args.positional[0]!;
}

function newPdvs(args: CliArgs): { pdvs: NewPdv[]; many: boolean } {
  const loja = intOption(args, 'loja');
  const label = args.options.get('label') ?? null;
  const csv = args.options.get('from-csv');
  const count = intOption(args, 'count');
  if ([csv !== undefined, count !== undefined, args.positional.length > 0].filter(Boolean).length !== 1) {
    throw new UsageError('pdv add takes one PDV id, or --from-csv <file>, or --count <n> --pattern <id{nn}>');
  }
  if (csv !== undefined) return { pdvs: readPdvCsv(csv, loja), many: true };
  if (loja === undefined) throw new UsageError('pdv add needs --loja <id>');
  if (count !== undefined) {
    const pattern = args.options.get('pattern');
    if (pattern === undefined) throw new UsageError('pdv add --count needs --pattern, e.g. --pattern loja01-pdv{nn}');
    return { pdvs: patternPdvs(pattern, count, intOption(args, 'start') ?? 1, loja, label), many: true };
  }
  if (args.positional.length !== 1) throw new UsageError('pdv add takes one PDV id');
  return { pdvs: [{ pdvId: args.positional[0]!, lojaId: loja, label }], many: false };
}
