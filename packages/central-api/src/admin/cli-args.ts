/**
 * The arguments of one admin command: positional words, and `--name value` / `--name=value` options and
 * `--flag` switches. Each command says which options take a value, so `--json` never swallows the next word.
 */
export interface CliArgs {
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
}

/** A command line the command cannot make sense of: usage text, exit 64. */
export class UsageError extends Error {}

export function parseCliArgs(argv: readonly string[], valued: readonly string[], switches: readonly string[]): CliArgs {
  const args: CliArgs = { positional: [], options: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i]!;
    if (!word.startsWith('--')) {
      args.positional.push(word);
      continue;
    }
    const [name, inline] = splitOption(word.slice(2));
    if (switches.includes(name) && inline === undefined) args.flags.add(name);
    else if (valued.includes(name)) {
      const value = inline ?? argv[i + 1];
      if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
      if (inline === undefined) i += 1;
      args.options.set(name, value);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return args;
}

/** A positive whole number option, or undefined when absent. */
export function intOption(args: CliArgs, name: string): number | undefined {
  const raw = args.options.get(name);
  if (raw === undefined) return undefined;
  if (!/^\d{1,10}$/.test(raw) || Number(raw) < 1) throw new UsageError(`--${name} expects a positive whole number; got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function splitOption(text: string): [string, string | undefined] {
  const equals = text.indexOf('=');
  return equals < 0 ? [text, undefined] : [text.slice(0, equals), text.slice(equals + 1)];
}
