import { mkdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { copyStep, CopyError, type BuildContext } from './copy-step.js';
import type { Stage } from './dockerfile-plan.js';
import { createScratchRoot, type ScratchRoot } from './scratch-root.js';

/**
 * Carries out the stages of one image in scratch roots: COPY, WORKDIR, ENV and RUN, in order, as `docker build`
 * would, each RUN with the environment and user the Dockerfile gives it. A RUN of apt-get cannot be carried out
 * here (no image, no apt sources of the image); it is reported as not rehearsed, and so is what depends on it.
 */
export interface BuiltImage {
  stage: Stage;
  root: ScratchRoot;
  env: Record<string, string>;
  workdir: string;
  user: string;
  /** Steps that could not be carried out here, with why. */
  notRehearsed: string[];
}

export class StepFailure extends Error {
  constructor(
    readonly step: string,
    readonly output: string,
  ) {
    super(`${step} failed`);
  }
}

const RUN_TIMEOUT_MS = 10 * 60_000;

export async function buildStages(stages: readonly Stage[], context: BuildContext, scratchDir: string, log: (line: string) => void): Promise<BuiltImage> {
  const built = new Map<string, ScratchRoot>();
  let last: BuiltImage | undefined;
  for (const [index, stage] of stages.entries()) {
    const root = await createScratchRoot(join(scratchDir, `stage-${index}`));
    const image: BuiltImage = { stage, root, env: {}, workdir: '/', user: 'root', notRehearsed: [] };
    log(`FROM ${stage.image}${stage.name ? ` AS ${stage.name}` : ''} (emulated: this machine's Debian 12 and Node ${process.versions.node})`);
    for (const step of stage.steps) {
      const where = `line ${step.line}`;
      switch (step.kind) {
        case 'workdir':
          image.workdir = posix.resolve(image.workdir, step.path);
          mkdirSync(join(root.path, image.workdir), { recursive: true });
          log(`WORKDIR ${image.workdir}`);
          break;
        case 'env':
          Object.assign(image.env, step.values);
          log(`ENV ${Object.keys(step.values).join(' ')}`);
          break;
        case 'user':
          image.user = step.user;
          log(`USER ${step.user}`);
          break;
        case 'copy': {
          const sourceRoot = step.from === null ? context.root : built.get(step.from)?.path;
          if (sourceRoot === undefined) throw new StepFailure(`${where}: COPY --from=${step.from}`, `no earlier stage is named ${step.from}`);
          try {
            const files = copyStep({
              sourceRoot,
              context: step.from === null ? context : null,
              sources: step.sources,
              destination: posix.resolve(image.workdir, step.destination) + (step.destination.endsWith('/') ? '/' : ''),
              targetRoot: root.path,
            });
            log(`COPY ${step.from ? `--from=${step.from} ` : ''}${step.sources.join(' ')} ${step.destination} (${files} files)`);
          } catch (error) {
            if (error instanceof CopyError) throw new StepFailure(`${where}: COPY ${step.sources.join(' ')}`, error.message);
            throw error;
          }
          break;
        }
        case 'run': {
          if (/^\s*apt-get\b/.test(step.command)) {
            image.notRehearsed.push(`${where}: RUN ${step.command.replace(/\s+/g, ' ').slice(0, 100)} (apt inside the image)`);
            log(`RUN ${step.command.slice(0, 60)}... not rehearsed (apt inside the image)`);
            break;
          }
          const started = Date.now();
          const result = await root.run(step.command, { cwd: image.workdir, env: image.env, user: image.user, timeoutMs: RUN_TIMEOUT_MS });
          if (result.code !== 0) throw new StepFailure(`${where}: RUN ${step.command}`, result.output);
          log(`RUN ${step.command.replace(/\s+/g, ' ').slice(0, 100)} (${Math.round((Date.now() - started) / 1000)} s)`);
          break;
        }
      }
    }
    if (stage.name) built.set(stage.name, root);
    built.set(String(index), root);
    last = image;
  }
  return last!;
}
