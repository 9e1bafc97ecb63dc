import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/**
 * A Dockerfile read with dockerfile-ast and turned into the steps a build carries out, variables expanded the
 * way Docker expands them (ARG before FROM is global; a stage sees a global ARG only if it declares it again;
 * ENV and ARG values are substituted into later instructions).
 */
export type Step =
  | { kind: 'run'; command: string; line: number }
  | { kind: 'copy'; from: string | null; sources: string[]; destination: string; line: number }
  | { kind: 'workdir'; path: string; line: number }
  | { kind: 'env'; values: Record<string, string>; line: number }
  | { kind: 'user'; user: string; line: number };

export interface Stage {
  name: string | null;
  image: string;
  steps: Step[];
  /** What the final image runs and probes, in exec form. */
  entrypoint: string[] | null;
  cmd: string[] | null;
  healthcheck: string[] | null;
}

export class DockerfileError extends Error {}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export function expand(text: string, variables: ReadonlyMap<string, string>): string {
  return text.replace(VARIABLE, (_match, braced: string | undefined, operator: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const value = variables.get(name);
    if (operator === '-') return value === undefined || value === '' ? (word ?? '') : value;
    if (operator === '+') return value === undefined || value === '' ? '' : (word ?? '');
    return value ?? '';
  });
}

/** `KEY=value` (possibly quoted) or, for ARG without a default, `KEY`. */
function assignments(content: string): [string, string | undefined][] {
  const pairs: [string, string | undefined][] = [];
  for (const match of content.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|'[^']*'|\S*))?/g)) {
    const raw = match[2];
    const value = raw === undefined ? undefined : raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    pairs.push([match[1]!, value]);
  }
  return pairs;
}

function execForm(content: string, instruction: Instruction): string[] {
  const text = content.trim();
  if (!text.startsWith('[')) return ['/bin/sh', '-c', text];
  try {
    return JSON.parse(text) as string[];
  } catch (cause) {
    throw new DockerfileError(`line ${instruction.getRange().start.line + 1}: ${instruction.getKeyword()} is not valid JSON exec form: ${String(cause)}`);
  }
}

export function planDockerfile(content: string, buildArgs: Readonly<Record<string, string>>): Stage[] {
  const dockerfile = DockerfileParser.parse(content);
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let variables = new Map<string, string>();
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const line = instruction.getRange().start.line + 1;
    const raw = instruction.getArgumentsContent() ?? '';
    const stage = stages.at(-1);
    if (keyword === 'ARG') {
      for (const [name, fallback] of assignments(raw)) {
        const target = stage ? variables : globalArgs;
        const inherited = stage ? globalArgs.get(name) : undefined;
        const value = buildArgs[name] ?? (fallback === undefined ? inherited : expand(fallback, target));
        if (value !== undefined) target.set(name, value);
      }
      continue;
    }
    if (keyword === 'FROM') {
      const words = expand(raw, globalArgs).trim().split(/\s+/);
      const asAt = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ name: asAt > 0 ? words[asAt + 1]! : null, image: words[0]!, steps: [], entrypoint: null, cmd: null, healthcheck: null });
      variables = new Map();
      continue;
    }
    if (!stage) throw new DockerfileError(`line ${line}: ${keyword} before the first FROM`);
    switch (keyword) {
      case 'RUN':
        stage.steps.push({ kind: 'run', command: expand(raw, variables).trim(), line });
        break;
      case 'COPY':
      case 'ADD': {
        if (keyword === 'ADD') throw new DockerfileError(`line ${line}: ADD is not rehearsed; use COPY`);
        const flags = 'getFlags' in instruction ? (instruction as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags() : [];
        const from = flags.find((flag) => flag.getName() === 'from')?.getValue() ?? null;
        const unsupported = flags.find((flag) => flag.getName() !== 'from');
        if (unsupported) throw new DockerfileError(`line ${line}: COPY --${unsupported.getName()} is not rehearsed`);
        const paths = instruction.getArguments().map((argument) => expand(argument.getValue(), variables));
        if (paths.length < 2) throw new DockerfileError(`line ${line}: COPY needs a source and a destination`);
        stage.steps.push({ kind: 'copy', from, sources: paths.slice(0, -1), destination: paths.at(-1)!, line });
        break;
      }
      case 'WORKDIR':
        stage.steps.push({ kind: 'workdir', path: expand(raw, variables).trim(), line });
        break;
      case 'ENV': {
        const values: Record<string, string> = {};
        for (const [name, value] of assignments(raw)) {
          values[name] = expand(value ?? '', variables);
          variables.set(name, values[name]!);
        }
        stage.steps.push({ kind: 'env', values, line });
        break;
      }
      case 'USER':
        stage.steps.push({ kind: 'user', user: expand(raw, variables).trim(), line });
        break;
      case 'ENTRYPOINT':
        stage.entrypoint = execForm(raw, instruction);
        break;
      case 'CMD':
        stage.cmd = execForm(raw, instruction);
        break;
      case 'HEALTHCHECK': {
        const at = raw.search(/\bCMD\b/);
        stage.healthcheck = at < 0 ? null : execForm(raw.slice(at + 3), instruction);
        break;
      }
      case 'EXPOSE':
      case 'LABEL':
      case 'STOPSIGNAL':
        break;
      default:
        throw new DockerfileError(`line ${line}: ${keyword} is not rehearsed`);
    }
  }
  if (stages.length === 0) throw new DockerfileError('the Dockerfile has no FROM');
  return stages;
}
