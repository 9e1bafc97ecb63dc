import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';

/**
 * Starts PGlite with less work after the first instance of a process. Two things are reused: the compiled
 * WebAssembly modules and file-system bundle (compiling them is a large part of a start), and, for in-memory
 * databases, the data directory of a freshly initialised cluster, so that initdb runs once per process instead
 * of once per database. The test suite and the demo open dozens of in-memory databases; each still starts
 * empty and independent, exactly as a new PGlite would.
 */
type WasmModule = NonNullable<PGliteOptions['pgliteWasmModule']>;
// Node's global WebAssembly, typed here: the project compiles without the DOM library that declares it.
const wasm = (globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;

interface Assets {
  pgliteWasmModule: WasmModule;
  initdbWasmModule: WasmModule;
  fsBundle: Blob;
}

let assets: Promise<Assets | null> | undefined;
let freshCluster: Promise<Blob | null> | undefined;

/** null when the package's files are not where this version keeps them: then PGlite finds its own. */
function loadAssets(): Promise<Assets | null> {
  assets ??= (async () => {
    try {
      const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
      const [pglite, initdb, bundle] = await Promise.all(['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((file) => readFile(join(dist, file))));
      const [pgliteWasmModule, initdbWasmModule] = await Promise.all([wasm.compile(pglite!), wasm.compile(initdb!)]);
      return { pgliteWasmModule, initdbWasmModule, fsBundle: new Blob([bundle!]) };
    } catch {
      return null;
    }
  })();
  return assets;
}

function loadFreshCluster(options: PGliteOptions): Promise<Blob | null> {
  freshCluster ??= (async () => {
    const template = await PGlite.create(options);
    try {
      return await template.dumpDataDir('none');
    } finally {
      await template.close();
    }
  })().catch(() => null);
  return freshCluster;
}

/** A PGlite instance: in memory when dataDir is null or undefined, else persisted in that folder. */
export async function startPglite(dataDir: string | null | undefined, options: Omit<PGliteOptions, 'dataDir'> = {}): Promise<PGlite> {
  const reused = await loadAssets();
  const withAssets: PGliteOptions = { ...(reused ?? {}), ...options };
  if (dataDir) return PGlite.create({ ...withAssets, dataDir });
  const cluster = await loadFreshCluster(reused ?? {});
  return PGlite.create(cluster ? { ...withAssets, loadDataDir: cluster } : withAssets);
}
