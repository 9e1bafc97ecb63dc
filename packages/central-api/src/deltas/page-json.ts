import type { ChangesPage, ChangesWaitAnswer } from '@goldpdv/core';
import { jsonOf, JsonParts, type SharedJson } from '../http/json-parts.js';

/**
 * The JSON of the pull answers, built from parts: a page's changes and its column list are the same arrays in
 * every answer that serves the same shared page (live/shared-pages.ts) or table, marked so (markShared), so
 * their JSON is made once and, for gzip, deflated once. The rest (versions, cursor, Sync-Token) is each
 * answer's own. The text is what JSON.stringify of the same object would give.
 */

const json = JSON.stringify;

/** Each page's parts, made once: a page of a wait round is one object for every PDV that shares the round (wait-rounds.ts). */
const partsOfPages = new WeakMap<ChangesPage, readonly (string | SharedJson)[]>();

function pageParts(page: ChangesPage): readonly (string | SharedJson)[] {
  let parts = partsOfPages.get(page);
  if (parts === undefined) partsOfPages.set(page, (parts = partsOf(page)));
  return parts;
}

function partsOf(page: ChangesPage): (string | SharedJson)[] {
  return [
    `{"table":${json(page.table)},"sinceVersion":${json(page.sinceVersion)},"toVersion":${json(page.toVersion)},"keyColumns":${json(page.keyColumns)},"columns":`,
    jsonOf(page.columns),
    ',"changes":',
    jsonOf(page.changes),
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
