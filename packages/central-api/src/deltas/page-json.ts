import type { ChangesPage, ChangesWaitAnswer } from '@goldpdv/core';
import { JsonParts, SharedJson } from '../http/json-parts.js';

/**
 * The JSON of the pull answers, built from parts: a page's changes and its column list are the same arrays in
 * every answer that serves the same shared page (live/shared-pages.ts) or table, so their JSON is made once
 * and, for gzip, deflated once. The rest (versions, cursor, Sync-Token) is each answer's own. The text is what
 * JSON.stringify of the same object would give.
 */

/** Below this a text is cheaper to send as the answer's own than to keep and deflate on its own. */
const MIN_SHARED_CHARS = 256;

const sharedTexts = new WeakMap<object, SharedJson>();

/** Arrays handed here are never changed once served: the kept pages and the column lists are read-only. */
function sharedJson(value: readonly unknown[]): string | SharedJson {
  const known = sharedTexts.get(value);
  if (known !== undefined) return known;
  const text = JSON.stringify(value);
  if (text.length < MIN_SHARED_CHARS) return text;
  const made = new SharedJson(text);
  sharedTexts.set(value, made);
  return made;
}

const json = JSON.stringify;

function pageParts(page: ChangesPage): (string | SharedJson)[] {
  return [
    `{"table":${json(page.table)},"sinceVersion":${json(page.sinceVersion)},"toVersion":${json(page.toVersion)},"keyColumns":${json(page.keyColumns)},"columns":`,
    sharedJson(page.columns),
    ',"changes":',
    sharedJson(page.changes),
    `,"hasMore":${json(page.hasMore)},"nextCursor":${json(page.nextCursor)}}`,
  ];
}

/** GET /v1/changes: the page. */
export const changesPageJson = (page: ChangesPage): JsonParts => new JsonParts(pageParts(page));

/** GET /v1/changes/wait: the changed tables, and the pages it carries. */
export function changesWaitJson(answer: ChangesWaitAnswer): JsonParts {
  const parts: (string | SharedJson)[] = [`{"changed":${json(answer.changed)},"incarnation":${json(answer.incarnation)}`];
  if (answer.pages !== undefined) {
    parts.push(',"pages":[');
    answer.pages.forEach((carried, index) => {
      parts.push(index === 0 ? '{"page":' : ',{"page":', ...pageParts(carried.page), `,"syncToken":${json(carried.syncToken)},"incarnation":${json(carried.incarnation)}}`);
    });
    parts.push(']');
  }
  parts.push('}');
  return new JsonParts(parts);
}
