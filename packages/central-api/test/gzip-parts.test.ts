import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { constants, crc32, createGunzip, deflateRawSync, gunzipSync } from 'node:zlib';
import type { ChangesWaitAnswer } from '@goldpdv/core';
import { describe, expect, it } from 'vitest';
import { gzipParts, tableCrc32 } from '../src/http/gzip-parts.js';
import { JsonParts, markShared, SharedJson } from '../src/http/json-parts.js';
import { changesPageJson, changesWaitJson } from '../src/deltas/page-json.js';
import { sendResponse } from '../src/http/respond.js';

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
    const gzipped = await gzipParts(body);
    expect(gunzipSync(gzipped).toString('utf8')).toBe(body.text);
    expect(await inflateAsStream(gzipped, 7)).toBe(body.text);
    expect(JSON.parse(body.text).d).toHaveLength(400);
    // The shared text's blocks are made once and sit in the body as they are.
    expect(shared.deflateBlocks()).toBe(shared.deflateBlocks());
    const blocks = await shared.deflateBlocks();
    expect(gzipped.includes(blocks)).toBe(true);
    expect(blocks.length).toBeLessThan(shared.bytes.length / 3);
    expect(body.byteLength).toBe(Buffer.byteLength(body.text));
  });

  it('needs no compressor for the answer own texts, and ends with a valid trailer', async () => {
    const body = new JsonParts(['{"only":', '"own text"', '}']);
    expect(body.parts).toEqual(['{"only":"own text"}']);
    const gzipped = await gzipParts(body);
    expect(gzipped.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 0x08]));
    expect(gzipped.readUInt32LE(gzipped.length - 4)).toBe(Buffer.byteLength(body.text));
    expect(gunzipSync(gzipped).toString('utf8')).toBe(body.text);
    // A corrupted byte fails the CRC: the trailer is checked, not decorative.
    const broken = Buffer.from(gzipped);
    broken[18] = broken[18]! ^ 0x01;
    expect(() => gunzipSync(broken)).toThrow();
  });

  it('computes the same CRC-32 as zlib where Node has no zlib.crc32', () => {
    const data = Buffer.from(JSON.stringify(rows(300, 'crc')), 'utf8');
    const chained = (crc: (bytes: Buffer, initial: number) => number) => crc(data.subarray(1000), crc(data.subarray(0, 1000), 0));
    expect(chained(tableCrc32)).toBe(chained(crc32));
    expect(tableCrc32(Buffer.alloc(0), 0)).toBe(0);
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

  it('share the JSON and the deflate of the same changes and columns across answers, and keep small texts their own', async () => {
    const changes = rows(50, 'z');
    markShared(changes);
    markShared(columns);
    const first = changesWaitJson({ changed: ['produto'], incarnation: 'I', pages: [{ page: page(changes), syncToken: 'token-of-pdv-1', incarnation: 'I' }] });
    const second = changesWaitJson({ changed: ['produto'], incarnation: 'I', pages: [{ page: { ...page(changes), sinceVersion: '7' }, syncToken: 'token-of-pdv-2', incarnation: 'I' }] });
    const sharedOf = (body: JsonParts) => body.parts.filter((part): part is SharedJson => part instanceof SharedJson);
    expect(sharedOf(first)).toHaveLength(2);
    expect(sharedOf(second)).toEqual(sharedOf(first));
    sharedOf(first).forEach((part, index) => expect(sharedOf(second)[index]).toBe(part));
    const expected = deflateRawSync(JSON.stringify(changes), { level: 6, finishFlush: constants.Z_SYNC_FLUSH });
    expect((await gzipParts(first)).includes(expected) && (await gzipParts(second)).includes(expected)).toBe(true);
    // An empty page has nothing worth sharing.
    expect(sharedOf(changesPageJson({ ...page([]), columns: [] }))).toEqual([]);
  });

  it('serialise a value nobody marked shared into the answer own text: a page read for one PDV costs no deflate of its own', () => {
    const alone = rows(50, 'alone');
    const body = changesPageJson(page(alone));
    expect(body.parts.some((part) => part instanceof SharedJson && part.text === JSON.stringify(alone))).toBe(false);
    expect(body.text).toBe(JSON.stringify(page(alone)));
  });
});

describe('a JsonParts answer over HTTP', () => {
  /** One answer of sendResponse on a loopback server, as a client that accepts gzip gets it. */
  async function served(body: JsonParts): Promise<{ headers: IncomingHttpHeaders; raw: Buffer }> {
    const server = createServer((req, res) => void sendResponse(req, res, { status: 200, body }, { closeConnection: false }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      return await new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, raw: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it('sends the shared texts deflated once when they are most of it, and compresses the whole text when they are not', async () => {
    const shared = new SharedJson(JSON.stringify(rows(200, 'mostly shared')));
    const mostlyShared = new JsonParts(['{"changes":', shared, ',"own":"short"}']);
    const answer = await served(mostlyShared);
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(Number(answer.headers['content-length'])).toBe(answer.raw.length);
    expect(answer.raw.includes(await shared.deflateBlocks())).toBe(true);
    expect(gunzipSync(answer.raw).toString('utf8')).toBe(mostlyShared.text);

    // Eight small pages' worth of the answer's own text: stored blocks would send it larger than it is.
    const ownText = JSON.stringify(Array.from({ length: 8 }, (_, i) => ({ table: `t${i}`, changes: rows(2, 'own') })));
    const mostlyOwn = new JsonParts(['{"pages":', ownText, '}']);
    const whole = await served(mostlyOwn);
    expect(whole.headers['content-encoding']).toBe('gzip');
    expect(whole.raw.length).toBeLessThan(Buffer.byteLength(mostlyOwn.text) / 3);
    expect(gunzipSync(whole.raw).toString('utf8')).toBe(mostlyOwn.text);
  });
});
