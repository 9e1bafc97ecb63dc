import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBackends } from '../../core/test/support/backends.js';
import type { Epoch } from '../src/deltas/live/serving-clock.js';
import { servedTableNamed } from '../src/deltas/table-registry.js';
import { WaitRounds, type RoundQuery } from '../src/deltas/wait-rounds.js';
import { insertPreco, insertProdutos } from './deltas-fixtures.js';
import { startDeltasRig, type DeltasRig } from './deltas-harness.js';
import { until } from './support/until.js';

/**
 * Wait rounds on a real database, with the replica's own serving clock and shared pages, worked out here one call
 * at a time so that what is kept, and when, is certain: which streams a round that named nothing is handed to
 * without a round of their own (knownQuiet), across the epochs that moved other tables, for the levels that see
 * the same changes, and for no other.
 */
describeBackends('wait rounds known to name nothing', (backend) => {
  let rig: DeltasRig;
  beforeAll(async () => {
    rig = await startDeltasRig(backend, { CHANGES_POLL_INTERVAL_MS: 50 });
    await insertProdutos(rig, [1, 2, 3]);
    await insertPreco(rig, 1, 1, '1.0000');
    // produto's latest change above preco_loja's: the upper version lies above preco_loja's quiet start.
    await insertProdutos(rig, [4]);
  });
  afterAll(async () => rig?.close());

  const roundsOfThisReplica = (): WaitRounds =>
    new WaitRounds({
      registry: rig.serving.registry,
      clock: rig.serving.clock,
      pages: rig.serving.pages,
      readAlone: () => Promise.reject(new Error('no page is read for a PDV alone here')),
      admit: () => null,
    });
  /** The clock's epoch once `ready` holds for it (asked, the clock reads every interval). */
  const epochWhere = async (ready: (epoch: Epoch) => boolean, what: string): Promise<Epoch> => {
    let found: Epoch | null = null;
    await until(async () => {
      found = await rig.serving.clock.current();
      return found !== null && ready(found);
    }, what);
    return found!;
  };
  /** A stream of loja 2 that waits on preco_loja from `level`, names only. */
  const loja2At = async (level: bigint): Promise<RoundQuery> => {
    const table = await servedTableNamed(rig.serving.registry, 'preco_loja');
    return { watched: [{ table, watch: { trackingName: table.trackingName, level } }], lojaId: 2, since: new Map([['preco_loja', level]]), pages: null, attention: [] };
  };
  const levelOf = (query: RoundQuery): bigint => query.watched[0]!.watch.level;

  it('hands a round that named nothing to the streams whose levels see the same changes, until one of its tables moves', async () => {
    const preco = (await servedTableNamed(rig.serving.registry, 'preco_loja')).trackingName;
    const produto = (await servedTableNamed(rig.serving.registry, 'produto')).trackingName;
    // preco_loja quiet from q0 up to the upper version u0: one quiet span of the clock.
    const before = await epochWhere((epoch) => (epoch.quietFrom.get(preco) ?? epoch.upper) < epoch.upper, 'an epoch with preco_loja quiet below its upper version');
    const q0 = before.quietFrom.get(preco)!;
    const u0 = before.upper;
    // Loja 1's price: preco_loja moves, with nothing of loja 2's.
    await insertPreco(rig, 1, 2, '2.0000');
    const priced = await epochWhere((epoch) => epoch.quietFrom.get(preco)! > u0, "the clock to read loja 1's price");

    const rounds = roundsOfThisReplica();
    const first = await loja2At(u0);
    const worked = await rounds.run(first);
    expect(worked.changed).toEqual([]);
    expect(levelOf(first)).toBeGreaterThanOrEqual(priced.quietFrom.get(preco)!);
    // Another stream of loja 2, at another level of the same span: that round, known at once, its level moved as far.
    const sameSpan = await loja2At(q0);
    expect(rounds.knownQuiet(sameSpan, worked.incarnation)).toBe(worked.incarnation);
    expect(levelOf(sameSpan)).toBe(levelOf(first));
    // Below the span it sees other changes (the price before q0): not known, nothing moved.
    const below = await loja2At(q0 - 1n);
    expect(rounds.knownQuiet(below, null)).toBeUndefined();
    expect(levelOf(below)).toBe(q0 - 1n);
    // A stream already past the change: a round of its own, quiet, kept by a level that counts as quiet whatever
    // its value; but not handed to a level above the clock's upper version (a PDV that read last from a replica
    // further on), whose window the clock cannot vouch for.
    const past = await loja2At(levelOf(first));
    expect((await rounds.run(past)).changed).toEqual([]);
    const aheadLevel = rig.serving.clock.epoch!.upper + 1_000n;
    const ahead = await loja2At(aheadLevel);
    expect(rounds.knownQuiet(ahead, null)).toBeUndefined();
    expect(levelOf(ahead)).toBe(aheadLevel);
    // A stream that knows another database: not known, nothing moved.
    const elsewhere = await loja2At(u0);
    expect(rounds.knownQuiet(elsewhere, 'another incarnation')).toBeUndefined();
    expect(levelOf(elsewhere)).toBe(u0);

    // A product moves: a new epoch, in which nothing of preco_loja changed, and the same round.
    await insertProdutos(rig, [5]);
    await epochWhere((epoch) => epoch.quietFrom.get(produto)! > priced.quietFrom.get(produto)!, 'the clock to read the product');
    expect(rounds.knownQuiet(await loja2At(u0), null)).toBe(worked.incarnation);
    // preco_loja moves again: that round no longer says anything.
    await insertPreco(rig, 1, 3, '3.0000');
    await epochWhere((epoch) => epoch.quietFrom.get(preco)! > priced.quietFrom.get(preco)!, 'the clock to read the next price');
    const after = await loja2At(u0);
    expect(rounds.knownQuiet(after, null)).toBeUndefined();
    expect(levelOf(after)).toBe(u0);
    expect(rounds.stats).toEqual({ worked: 2, shared: 0, quiet: 2 });
    rounds.stop();
  });
});
