import { Readable } from 'node:stream';
import { constants, createGunzip, deflateRawSync, gunzipSync } from 'node:zlib';
import type { ChangesWaitAnswer } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { gzipParts } from '../src/http/gzip-parts.js';
import { JsonParts, SharedJson } from '../src/http/json-parts.js';
import { changesPageJson, changesWaitJson } from '../src/deltas/page-json.js';

/** As pull-service's HTTP client inflates an answer: a streaming Gunzip, here fed a few bytes at a time. */
async function inflateAsStream(body: Buffer, chunk: number): Promise<string> {
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += chunk) pieces.push(body.subarray(at, at + chunk));
  const out: Buffer[] = [];
  for await (const data of Readable.from(pieces).pipe(createGunzip())) out.push(data as Buffer);
  return Buffer.concat(out).toString('utf8');
}

const rows = (count: number, salt: string) =>
  Array.from({ length: count }, (_, i) => ({ op: 'upsert', version: String(100 + i), key: { produto_id: i }, row: { produto_id: i, descricao: `Produto ${i} ${salt} ção` } }));

describe('gzip of an answer built from parts', () => {
  it('is one gzip member that inflates to the joined text, whatever the parts: shared twice, empty, multi-byte, over a stored block', async () => {
    const shared = new SharedJson(JSON.stringify(rows(400, 'x')));
    const long = `"${'é'.repeat(40_000)}"`; // 80,000 bytes: two stored blocks
    const body = new JsonParts(['{"a":', shared, ',"b":', long, ',"c":', new SharedJson(''), '"","d":', shared, '}']);
    const gzipped = gzipParts(body);
    expect(gunzipSync(gzipped).toString('utf8')).toBe(body.text);
    expect(await inflateAsStream(gzipped, 7)).toBe(body.text);
    expect(JSON.parse(body.text).d).toHaveLength(400);
    // The shared text's blocks are made once and sit in the body as they are.
    expect(shared.deflateBlocks).toBe(shared.deflateBlocks);
    expect(gzipped.includes(shared.deflateBlocks)).toBe(true);
    expect(shared.deflateBlocks.length).toBeLessThan(shared.bytes.length / 3);
  });

  it('needs no compressor for the answer own texts, and ends with a valid trailer', () => {
    const body = new JsonParts(['{"only":', '"own text"', '}']);
    expect(body.parts).toEqual(['{"only":"own text"}']);
    const gzipped = gzipParts(body);
    expect(gzipped.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 0x08]));
    expect(gzipped.readUInt32LE(gzipped.length - 4)).toBe(Buffer.byteLength(body.text));
    expect(gunzipSync(gzipped).toString('utf8')).toBe(body.text);
    // A corrupted byte fails the CRC: the trailer is checked, not decorative.
    const broken = Buffer.from(gzipped);
    broken[18] = broken[18]! ^ 0x01;
    expect(() => gunzipSync(broken)).toThrow();
  });
});

describe('pull answers as parts', () => {
  const columns = Array.from({ length: 12 }, (_, i) => ({ name: `coluna_${i}`, type: 'string' as const }));
  const page = (changes: unknown[]) => ({
    table: 'produto',
    sinceVersion: '41',
    toVersion: '99',
    keyColumns: ['produto_id'],
    columns,
    changes: changes as never,
    hasMore: false,
    nextCursor: null,
  });

  it('are the text JSON.stringify makes of the same answer, with or without pages', () => {
    const big = page(rows(50, 'y'));
    const answers: ChangesWaitAnswer[] = [
      { changed: [], incarnation: null },
      { changed: ['produto', 'preco_loja'], incarnation: 'AbC' },
      { changed: ['produto'], incarnation: 'AbC', pages: [] },
      { changed: ['produto', 'preco_loja'], incarnation: 'AbC', pages: [{ page: big, syncToken: 'v1.1.a.b', incarnation: 'AbC' }, { page: { ...page([]), table: 'preco_loja', nextCursor: 'cur"sor' }, syncToken: 't', incarnation: 'AbC' }] },
    ];
    for (const answer of answers) expect(changesWaitJson(answer).text).toBe(JSON.stringify(answer));
    expect(changesPageJson(big).text).toBe(JSON.stringify(big));
  });

  it('share the JSON and the deflate of the same changes and columns across answers, and keep small texts their own', () => {
    const changes = rows(50, 'z');
    const first = changesWaitJson({ changed: ['produto'], incarnation: 'I', pages: [{ page: page(changes), syncToken: 'token-of-pdv-1', incarnation: 'I' }] });
    const second = changesWaitJson({ changed: ['produto'], incarnation: 'I', pages: [{ page: { ...page(changes), sinceVersion: '7' }, syncToken: 'token-of-pdv-2', incarnation: 'I' }] });
    const sharedOf = (body: JsonParts) => body.parts.filter((part): part is SharedJson => part instanceof SharedJson);
    expect(sharedOf(first)).toHaveLength(2);
    expect(sharedOf(second)).toEqual(sharedOf(first));
    sharedOf(first).forEach((part, index) => expect(sharedOf(second)[index]).toBe(part));
    const expected = deflateRawSync(JSON.stringify(changes), { level: 6, finishFlush: constants.Z_SYNC_FLUSH });
    expect(gzipParts(first).includes(expected) && gzipParts(second).includes(expected)).toBe(true);
    // An empty page has nothing worth sharing.
    expect(sharedOf(changesPageJson({ ...page([]), columns: [] }))).toEqual([]);
  });
});
