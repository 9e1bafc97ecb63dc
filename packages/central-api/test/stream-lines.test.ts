import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ChangesWaitAnswer } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { streamLines } from '../src/deltas/stream-lines.js';
import { JsonParts } from '../src/http/json-parts.js';

const answer = (changed: string[]): ChangesWaitAnswer => ({ changed, incarnation: 'i' });
const served = (value: ChangesWaitAnswer): JsonParts => new JsonParts([JSON.stringify(value)]);
const texts = async (lines: AsyncIterator<JsonParts, void, undefined>): Promise<string[]> => {
  const out: string[] = [];
  for (let next = await lines.next(); !next.done; next = await lines.next()) out.push(next.value.text);
  return out;
};

/** Answers as the change stream makes them, recording whether their ending (return) ran. */
function answersOf(values: ChangesWaitAnswer[], failure?: Error): { answers: AsyncGenerator<ChangesWaitAnswer, void, undefined>; ended: () => boolean } {
  let ended = false;
  const answers = (async function* () {
    try {
      for (const value of values) yield value;
      if (failure) throw failure;
    } finally {
      ended = true;
    }
  })();
  return { answers, ended: () => ended };
}

describe('a change stream\'s lines (streamLines)', () => {
  it('sends the first answer (at hand or still to come), then the others, and ends the answers with them', async () => {
    const atHand = answersOf([answer(['produto']), answer(['preco_loja'])]);
    const first = await atHand.answers.next();
    expect(await texts(streamLines(first, atHand.answers, served, () => {}))).toEqual([JSON.stringify(answer(['produto'])), JSON.stringify(answer(['preco_loja']))]);
    expect(atHand.ended()).toBe(true);

    const late = answersOf([answer(['produto'])]);
    expect(await texts(streamLines(late.answers.next(), late.answers, served, () => {}))).toEqual([JSON.stringify(answer(['produto']))]);

    // No answer at all (the stream's time ran out before its first): no line.
    const none = answersOf([]);
    expect(await texts(streamLines(await none.answers.next(), none.answers, served, () => {}))).toEqual([]);
    expect(none.ended()).toBe(true);
  });

  it('reports a failure once, rejects with it, and is over after it', async () => {
    const failure = new Error('the database went away');
    const failing = answersOf([answer(['produto'])], failure);
    const seen: unknown[] = [];
    const lines = streamLines(failing.answers.next(), failing.answers, served, (error) => seen.push(error));
    expect((await lines.next()).done).toBe(false);
    await expect(lines.next()).rejects.toBe(failure);
    expect(seen).toEqual([failure]);
    expect(await lines.next()).toEqual({ done: true, value: undefined });
  });

  it('ends the stream as a failure when a line cannot be made, whether its answer was at hand or still to come', async () => {
    const failure = new Error('no JSON for this answer');
    const refuse = (): JsonParts => {
      throw failure;
    };
    for (const atHand of [true, false]) {
      const source = answersOf([answer(['produto']), answer(['preco_loja'])]);
      const seen: unknown[] = [];
      const lines = streamLines(atHand ? await source.answers.next() : source.answers.next(), source.answers, refuse, (error) => seen.push(error));
      await expect(lines.next()).rejects.toBe(failure);
      expect(seen).toEqual([failure]);
      expect(source.ended()).toBe(true);
      expect(await lines.next()).toEqual({ done: true, value: undefined });
    }
  });

  it('ends its answers when returned early (the client gone), once however often it is returned', async () => {
    let returns = 0;
    const pending = new Promise<IteratorResult<ChangesWaitAnswer, void>>(() => {});
    const answers = {
      next: () => pending,
      return: async () => {
        returns += 1;
        return { done: true as const, value: undefined };
      },
    } as unknown as AsyncGenerator<ChangesWaitAnswer, void, undefined>;
    const lines = streamLines({ done: false, value: answer(['produto']) }, answers, served, () => {});
    expect((await lines.next()).done).toBe(false);
    expect(await lines.return!()).toEqual({ done: true, value: undefined });
    expect(await lines.return!()).toEqual({ done: true, value: undefined });
    expect(await lines.next()).toEqual({ done: true, value: undefined });
    expect(returns).toBe(1);
  });

  it('holds no answer it has handed over while it waits for the next', async () => {
    // A stream waits seconds between lines, on thousands of connections: what it holds meanwhile is copied by
    // every young-generation collection. An async generator in its place keeps its last value (checked below).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let ref: WeakRef<object> | undefined;
    // Answers as streamChanges makes them: the one handed over is let go (its slot emptied) before the next wait.
    const answers = (): AsyncGenerator<ChangesWaitAnswer, void, undefined> =>
      (async function* () {
        const out: { value: ChangesWaitAnswer | null } = { value: answer(['produto']) };
        ref = new WeakRef(out.value!);
        yield out.value!;
        out.value = null;
        await new Promise(() => {});
      })();
    const collected = async (lines: AsyncIterator<unknown>): Promise<boolean> => {
      await lines.next();
      void lines.next();
      for (let round = 0; round < 3; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        gc();
      }
      return ref!.deref() === undefined;
    };
    const own = answers();
    expect(await collected(streamLines(own.next(), own, (value) => new JsonParts([value.changed.join()]), () => {}))).toBe(true);
    // The check itself can fail: a generator that passes the answers on keeps the last one.
    expect(
      await collected(
        (async function* () {
          for await (const inner of answers()) yield inner;
        })(),
      ),
    ).toBe(false);
  });
});
