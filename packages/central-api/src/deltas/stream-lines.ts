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
  const failed = (error: unknown): Promise<never> => {
    onFailure(error);
    return end().then(() => Promise.reject(error));
  };
  // A failure to make the line (served) ends the stream as a failure of the answers would.
  const take = (result: IteratorResult<ChangesWaitAnswer, void>): Promise<IteratorResult<JsonParts, void>> => {
    if (result.done) return done();
    try {
      return Promise.resolve({ done: false, value: served(result.value) });
    } catch (error) {
      return failed(error);
    }
  };
  return {
    next: () => {
      if (ended !== null) return done();
      const pending = head ?? answers.next();
      head = null;
      return pending instanceof Promise ? pending.then(take, failed) : take(pending);
    },
    return: () => done(),
  };
}

