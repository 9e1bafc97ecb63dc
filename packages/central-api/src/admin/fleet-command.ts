import { z } from 'zod';
import { databaseEnv } from '@goldpdv/core';
import { centralEnv } from '../config.js';
import { storesFor } from '../dialect-stores.js';
import { countByState, readFleet } from '../pdv/fleet.js';
import { fleetThresholdsOf } from '../pdv/pdv-config.js';
import { openAdminDatabase, schemaProblem } from './admin-database.js';
import { intOption, parseCliArgs, UsageError } from './cli-args.js';
import { EXIT, refused, type ExitCode } from './exit-codes.js';
import { formatFleetView } from './fleet-output.js';

export const FLEET_USAGE = `  fleet [--loja <id>] [--json]      the PDVs by urgency: silent, auth-refused, unreachable-long, dead-letters,
                                     behind, ok, revoked; why, and for how long (FLEET_SILENT_MINUTES,
                                     FLEET_BEHIND_MINUTES)`;

const fleetEnv = z.object({
  ...databaseEnv,
  FLEET_SILENT_MINUTES: centralEnv.FLEET_SILENT_MINUTES,
  FLEET_BEHIND_MINUTES: centralEnv.FLEET_BEHIND_MINUTES,
});

/** `central-api fleet`: the same list as `pdv list` and the fleet page, for a terminal or a script (--json). */
export async function runFleetCommand(program: string, argv: readonly string[]): Promise<ExitCode> {
  const args = parseCliArgs(argv, ['loja'], ['json']);
  if (args.positional.length > 0) throw new UsageError(`fleet takes no argument (got ${args.positional[0]})`);
  const { config, db } = await openAdminDatabase(program, fleetEnv, { checkAtStart: true });
  try {
    const fleet = await readFleet(db, storesFor(db.dialect), { lojaId: intOption(args, 'loja') }, fleetThresholdsOf(config));
    const counts = countByState(fleet);
    process.stdout.write(args.flags.has('json') ? `${JSON.stringify({ counts, pdvs: fleet }, null, 2)}\n` : formatFleetView(fleet, counts));
    return EXIT.ok;
  } catch (error) {
    return refused(program, schemaProblem(error, db.dialect), error);
  } finally {
    await db.close();
  }
}
