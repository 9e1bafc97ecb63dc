import type { ChangesWaitAnswer } from '@goldpdv/core';
import type { JsonParts } from '../http/json-parts.js';

/**
 * A change stream's lines: its first answer's (at hand, or still to come), then each later answer's. Written out
 * rather than as an async generator, whose frame would hold each answer and its line from one line to the next,
 * seconds apart on thousands of streams, through the young generation's collections. Once it ends (its answers
 * ended, failed, or it was returned early), the answers' own ending (their hub registration) has run.
 */
export function streamLines(
  first: IteratorResult<ChangesWaitAnswer, void> | Promise<IteratorResult<ChangesWaitAnswer, void>>,
  answers: AsyncGenerator<ChangesWaitAnswer, void, undefined>,
  served: (answer: ChangesWaitAnswer) => JsonParts,
  onFailure: (error: unknown) => void,
): AsyncIterator<JsonParts, void, undefined> {
  let head: typeof first | null = first;
  let ended: Promise<void> | null = null;
  const end = (): Promise<void> => (ended ??= answers.return(undefined).then(() => undefined));
  const done = (): Promise<IteratorResult<JsonParts, void>> => end().then(() => ({ done: true, value: undefined }));
  const take = (result: IteratorResult<ChangesWaitAnswer, void>): IteratorResult<JsonParts, void> | Promise<IteratorResult<JsonParts, void>> =>
    result.done ? done() : { done: false, value: served(result.value) };
  const failed = (error: unknown): Promise<never> => {
    onFailure(error);
    return end().then(() => Promise.reject(error));
  };
  return {
    next: () => {
      if (ended !== null) return done();
      const pending = head ?? answers.next();
      head = null;
      try {
        return pending instanceof Promise ? pending.then(take, failed) : Promise.resolve(take(pending));
      } catch (error) {
        return failed(error);
      }
    },
    return: () => done(),
  };
}

