import { Outcome, type ChaosContext } from '../support/context.js';

/**
 * Not written yet: malformed pages from a hostile API into a pull-service process, outbox rows with invalid
 * payloads, and a mapping file with injection attempts. It fails on purpose, so that a green run never
 * claims a scenario that did not run.
 */
export async function badInputDaemons(_ctx: ChaosContext): Promise<Outcome> {
  const outcome = new Outcome();
  outcome.set('implemented', false);
  outcome.expect(false, 'scenario not implemented yet');
  return outcome;
}
