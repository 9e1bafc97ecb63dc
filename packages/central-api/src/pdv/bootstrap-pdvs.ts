import { ConfigError, tokenHash, type Database } from '@goldpdv/core';
import type { CentralLogger } from '../logger.js';
import type { PdvStore } from './pdv-store.js';
import type { BootstrapPdv } from './pdv-tokens.js';

/**
 * Registers the PDV_TOKENS terminals (demo and development). Only the sha256 of each token is stored. A loja
 * that does not exist is a configuration error, reported before the server starts taking requests.
 */
export async function bootstrapPdvs(db: Database, store: PdvStore, pdvs: readonly BootstrapPdv[], logger: CentralLogger): Promise<void> {
  if (pdvs.length === 0) return;
  await db.transaction(async (tx) => {
    for (const pdv of pdvs) {
      if (!(await store.lojaExists(tx, pdv.lojaId))) {
        throw new ConfigError('PDV_TOKENS', `PDV_TOKENS: expected existing loja ids; loja ${pdv.lojaId} of ${pdv.pdvId} is not in the loja table`);
      }
      await store.upsert(tx, { pdvId: pdv.pdvId, lojaId: pdv.lojaId, tokenHash: tokenHash(pdv.token) });
    }
  });
  logger.info({ pdvs: pdvs.map((pdv) => pdv.pdvId) }, 'PDV_TOKENS registered (demo/development bootstrap)');
}
