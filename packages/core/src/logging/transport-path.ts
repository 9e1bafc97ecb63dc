import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the compiled JavaScript module `fileName` that sits next to the module at
 * `moduleUrl`, for pino to load in a transport worker thread.
 *
 * Worker threads load plain JavaScript with none of the parent's loaders, so when the parent runs
 * from TypeScript sources (vitest, tsx) the sibling `.js` does not exist and a `.ts` could not be
 * loaded anyway. The build output of the same file is used instead: `<package>/src/a/b.ts` is
 * compiled by `tsc -b` to `<package>/dist/a/b.js` (the outDir of every package here).
 */
export function compiledSiblingPath(fileName: string, moduleUrl: string): string {
  const beside = fileURLToPath(new URL(`./${fileName}`, moduleUrl));
  if (existsSync(beside)) return beside;

  const source = fileURLToPath(moduleUrl);
  const srcSegment = `${sep}src${sep}`;
  const at = source.lastIndexOf(srcSegment);
  if (at >= 0) {
    const packageRoot = source.slice(0, at);
    const relativeDir = dirname(source.slice(at + srcSegment.length));
    const built = join(packageRoot, 'dist', relativeDir, fileName);
    if (existsSync(built)) return built;
  }
  throw new Error(
    `cannot find the compiled log transport ${fileName} next to ${source} nor in the package's dist; ` +
      'build the package first (npx tsc -b packages/core)',
  );
}
