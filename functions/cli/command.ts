import { type ParseArgsConfig, parseArgs } from 'node:util';
import * as z from 'zod';
import type { AtlasClient } from '../core/atlas/client.ts';
import { atlasId, clusterName } from '../core/atlas/model.ts';
import { didYouMean } from './did-you-mean.ts';

/** What a command may use: its output streams, the environment, and an Atlas client built from it. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  /** Progress for people while a command waits (a terminal gets a spinner); never the result. */
  readonly stderr?: NodeJS.WritableStream & { readonly isTTY?: boolean };
  /** Opens (once) the Atlas client configured from the environment; the CLI closes it after the command. */
  atlas(): AtlasClient;
  /** Epoch ms by which Atlas calls give up, so a hung network cannot hang the terminal. */
  readonly deadline: number;
}

/** One `atlas-restore <group> <verb>` command. Add a module under commands/ and one line in the registry. */
export interface CliCommand {
  /** The words that select it, e.g. `jobs describe`. */
  readonly name: string;
  readonly summary: string;
  /** Arguments after the name, e.g. `JOB_ID --projectId ID --clusterName NAME [--json]`. */
  readonly usage: string;
  /** Shown by `<command> --help` after the summary: details, exit statuses, examples. */
  readonly help?: string;
  run(args: readonly string[], context: CliContext): Promise<void>;
}

/** A mistake on the command line: exit 2 with the problem on one line. */
export class UsageError extends Error {
  readonly code = 'CLI_USAGE';

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses flags and positionals with node:util parseArgs (strict), then validates them with zod schemas;
 * any problem becomes a UsageError naming the flag.
 */
export function parseCommandLine<F extends z.ZodType, P extends z.ZodType>(
  args: readonly string[],
  spec: { options: Options; flags: F; positionals: P; positionalNames?: readonly string[] },
): { flags: z.infer<F>; positionals: z.infer<P> } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: spec.options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parseArgsProblem(error, spec.options));
  }
  const flags = spec.flags.safeParse(parsed.values);
  if (!flags.success) throw new UsageError(describe(flags.error, (key) => `--${key}`));
  const positionals = spec.positionals.safeParse(parsed.positionals);
  if (!positionals.success) {
    throw new UsageError(describe(positionals.error, (index) => spec.positionalNames?.[Number(index)] ?? 'argument'));
  }
  return { flags: flags.data, positionals: positionals.data };
}

/** parseArgs's complaint in the CLI's words; an unknown flag gets the known one it most likely meant. */
function parseArgsProblem(error: unknown, options: Options): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown?.[1] === undefined) return message;
  const flags = Object.keys(options).map((name) => `--${name}`);
  const guess = didYouMean(unknown[1], flags);
  return `unknown flag ${unknown[1]}${guess ? `: did you mean ${guess}?` : ''}`;
}

function describe(error: z.ZodError, name: (key: string) => string): string {
  return error.issues
    .map((issue) => {
      const key = issue.path[0];
      return key === undefined ? issue.message : `${name(String(key))}: ${issue.message}`;
    })
    .join('; ');
}

/** The flags every cluster-scoped command takes. */
export const clusterOptions = {
  projectId: { type: 'string' },
  clusterName: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const satisfies Options;

/** A string flag that must be present and pass `schema`. */
export const requiredText = (schema: z.ZodType<string, string>) =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') }).pipe(schema);

/** For commands that take no positional arguments. */
export const noPositionals = z.array(z.string()).max(0, 'unexpected positional argument');

export const clusterFlags = z.object({
  projectId: requiredText(atlasId),
  clusterName: requiredText(clusterName),
  json: z.boolean(),
});
