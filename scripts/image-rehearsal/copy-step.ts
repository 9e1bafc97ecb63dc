import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, posix, relative } from 'node:path';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';

// A CommonJS module whose typings claim an ES default export: required as the function it is.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: { ignorecase?: boolean }) => Ignore;

/**
 * COPY as Docker carries it out: from the build context (what .dockerignore lets through) or from an earlier
 * stage's file system. A source folder's contents go into the destination; a file goes to the destination, or
 * into it when the destination ends with "/" or is a folder; several sources need a folder. Symbolic links are
 * copied as links (pnpm's node_modules is made of them).
 */
export class CopyError extends Error {}

export interface BuildContext {
  root: string;
  /** True when .dockerignore keeps the path (relative, with "/") out of the context. */
  isIgnored(path: string): boolean;
}

export function readBuildContext(root: string): BuildContext {
  const file = join(root, '.dockerignore');
  const matcher = dockerignore({ ignorecase: false }).add(existsSync(file) ? readFileSync(file, 'utf8') : '');
  return { root, isIgnored: (path) => path !== '' && path !== '.' && matcher.ignores(path) };
}

export interface CopyRequest {
  /** A folder holding the sources: the context root, or an earlier stage's root. */
  sourceRoot: string;
  /** Applied to the context only; null for a stage's files. */
  context: BuildContext | null;
  sources: readonly string[];
  /** Absolute path inside the target root. */
  destination: string;
  targetRoot: string;
}

/** Returns how many files were copied. */
export function copyStep(request: CopyRequest): number {
  const destinationIsFolder = request.destination.endsWith('/') || request.sources.length > 1;
  const target = join(request.targetRoot, request.destination);
  let copied = 0;
  for (const source of request.sources) {
    if (/[*?[]/.test(source)) throw new CopyError(`COPY ${source}: wildcards are not rehearsed`);
    const inContext = posix.normalize(source.replace(/^\/+/, '')).replace(/\/$/, '');
    if (request.context && (inContext.startsWith('..') || request.context.isIgnored(inContext))) {
      throw new CopyError(`COPY ${source}: not in the build context (outside it, or excluded by .dockerignore)`);
    }
    const from = join(request.sourceRoot, inContext);
    if (!existsSync(from) && !isSymlink(from)) throw new CopyError(`COPY ${source}: no such file or folder in ${request.context ? 'the build context' : 'the stage'}`);
    if (lstatSync(from).isDirectory()) copied += copyFolder(from, target, inContext, request.context);
    else {
      const to = destinationIsFolder || (existsSync(target) && statSync(target).isDirectory()) ? join(target, basename(from)) : target;
      copied += copyEntry(from, to);
    }
  }
  return copied;
}

function copyFolder(from: string, to: string, contextPath: string, context: BuildContext | null): number {
  mkdirSync(to, { recursive: true });
  let copied = 0;
  for (const name of readdirSync(from)) {
    const path = join(from, name);
    const inContext = contextPath === '' ? name : `${contextPath}/${name}`;
    if (context?.isIgnored(inContext)) continue;
    if (lstatSync(path).isDirectory()) copied += copyFolder(path, join(to, name), inContext, context);
    else copied += copyEntry(path, join(to, name));
  }
  return copied;
}

function copyEntry(from: string, to: string): number {
  mkdirSync(dirname(to), { recursive: true });
  if (isSymlink(from)) {
    if (!isSymlink(to) && !existsSync(to)) symlinkSync(readlinkSync(from), to);
  } else copyFileSync(from, to);
  return 1;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** For messages: a path inside a root, as the image sees it. */
export function inImage(root: string, path: string): string {
  return `/${relative(root, path)}`;
}
