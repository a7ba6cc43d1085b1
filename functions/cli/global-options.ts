import { PROFILE_VARIABLES, readAtlasCliProfile } from './atlas-cli-profile.ts';
import { type CliCommand, UsageError } from './command.ts';

/** `-o/--output` values, as the Atlas CLI spells them, and the flag each stands for here. */
const OUTPUTS: Readonly<Record<string, string | undefined>> = {
  json: '--json',
  table: undefined,
  plaintext: undefined,
};

/**
 * The Atlas CLI's habits, applied before a command parses its own flags: `-P/--profile NAME` (else
 * MONGODB_ATLAS_PROFILE, else `default`) reads that profile from the Atlas CLI's config file; `-o/--output
 * json|table` (or the profile's `output`) is `--json`; MONGODB_ATLAS_PROJECT_ID (or the profile's project_id) stands
 * in for a missing `--projectId`. Flags win over variables, variables over the profile.
 */
export function applyAtlasCliHabits(
  command: CliCommand,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { args: string[]; env: NodeJS.ProcessEnv } {
  const rest: string[] = [];
  let profileName: string | undefined;
  let output: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    const inline = /^(--profile|-P|--output|-o)=(.*)$/.exec(arg);
    const name = inline?.[1] ?? (['--profile', '-P', '--output', '-o'].includes(arg) ? arg : undefined);
    if (name === undefined) {
      rest.push(arg);
      continue;
    }
    const value = inline ? inline[2] : args[++index];
    if (value === undefined || value === '') throw new UsageError(`${name}: needs a value`);
    if (name === '--profile' || name === '-P') profileName = value;
    else output = value;
  }

  const named = profileName ?? env.MONGODB_ATLAS_PROFILE;
  const found = readAtlasCliProfile(env, named ?? 'default');
  if (named !== undefined && found?.profile === undefined) {
    throw new UsageError(
      found === undefined
        ? `--profile: no Atlas CLI config file, so no profile ${named} (run \`atlas config init\`, or set MONGODB_ATLAS_* variables)`
        : `--profile: no profile ${named} in the Atlas CLI config file (it has ${found.names.join(', ') || 'none'})`,
    );
  }
  const settings = found?.profile?.settings ?? {};
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const [key, variable] of Object.entries(PROFILE_VARIABLES)) {
    if (!merged[variable] && settings[key]) merged[variable] = settings[key];
  }

  const accepts = (flag: string) => command.usage.includes(flag);
  const chosen = output ?? (rest.includes('--json') ? undefined : settings.output);
  if (chosen !== undefined) {
    const csv = chosen === 'csv' && accepts('--csv');
    if (!(chosen in OUTPUTS) && !csv) {
      throw new UsageError(`--output: must be json or table${accepts('--csv') ? ' or csv' : ''} (got ${chosen})`);
    }
    const flag = csv ? '--csv' : OUTPUTS[chosen];
    if (flag !== undefined && accepts(flag) && !rest.includes(flag)) rest.push(flag);
  }
  const projectId = merged.MONGODB_ATLAS_PROJECT_ID;
  const hasProject = rest.some((arg) => arg === '--projectId' || arg.startsWith('--projectId='));
  const takesProject = accepts('--projectId') && !rest.includes('--message');
  if (projectId && takesProject && !hasProject && !rest.includes('--help') && !rest.includes('-h')) {
    rest.push('--projectId', projectId);
  }
  return { args: rest, env: merged };
}
