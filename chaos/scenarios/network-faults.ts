import { Outcome, type ChaosContext } from '../support/context.js';

export async function networkFaults(_ctx: ChaosContext): Promise<Outcome> {
  return new Outcome();
}
