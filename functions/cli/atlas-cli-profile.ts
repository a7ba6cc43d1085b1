import { readFileSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join } from 'node:path';

/**
 * Settings from the Atlas CLI's own config file, so an SRE who uses `atlas` needs nothing new: the same profile
 * (`[default]` unless `--profile`/`-P` or MONGODB_ATLAS_PROFILE names another), the same keys (project_id, org_id,
 * public_api_key, private_api_key, output: mongodb/mongodb-atlas-cli internal/config/profile.go), the same file
 * (`$XDG_CONFIG_HOME/atlascli/config.toml`, else ~/.config/atlascli/…, ~/Library/Application Support/atlascli/… on
 * macOS). Keys the Atlas CLI keeps in the OS keyring are not in the file; set them in the environment instead.
 */
export interface AtlasCliProfile {
  readonly name: string;
  readonly path: string;
  readonly settings: Readonly<Record<string, string>>;
}

/** The key in the file → the environment variable it stands in for (a variable already set wins). */
export const PROFILE_VARIABLES: Readonly<Record<string, string>> = {
  project_id: 'MONGODB_ATLAS_PROJECT_ID',
  org_id: 'MONGODB_ATLAS_ORG_ID',
  public_api_key: 'MONGODB_ATLAS_PUBLIC_API_KEY',
  private_api_key: 'MONGODB_ATLAS_PRIVATE_API_KEY',
};

export function atlasCliConfigPath(env: NodeJS.ProcessEnv): string {
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'atlascli', 'config.toml');
  const home = env.HOME || homedir();
  if (platform() === 'darwin') return join(home, 'Library', 'Application Support', 'atlascli', 'config.toml');
  if (platform() === 'win32' && env.APPDATA) return join(env.APPDATA, 'atlascli', 'config.toml');
  return join(home, '.config', 'atlascli', 'config.toml');
}

/** The named profile, undefined when there is no file; a profile the file lacks is the caller's usage error. */
export function readAtlasCliProfile(
  env: NodeJS.ProcessEnv,
  name: string,
): { profile?: AtlasCliProfile; names: string[] } | undefined {
  const path = atlasCliConfigPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const tables = parseTomlTables(text);
  const settings = tables.get(name);
  return { ...(settings ? { profile: { name, path, settings } } : {}), names: [...tables.keys()] };
}

/**
 * The `[table]` sections of a TOML file with their string and bare values: what the Atlas CLI writes (one table per
 * profile, `key = 'value'`). Arrays, inline tables and multi-line strings are not read.
 */
export function parseTomlTables(text: string): Map<string, Record<string, string>> {
  const tables = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const table = /^\[\s*"?([^\]"]+?)"?\s*\]$/.exec(line);
    if (table?.[1] !== undefined) {
      current = tables.get(table[1]) ?? {};
      tables.set(table[1], current);
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|([^#\s]+))/.exec(line);
    if (pair?.[1] === undefined || current === undefined) continue;
    current[pair[1]] = pair[2] ?? (pair[3] === undefined ? (pair[4] ?? '') : JSON.parse(`"${pair[3]}"`));
  }
  return tables;
}
