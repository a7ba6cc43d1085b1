import { databaseUserAuthDatabase, databaseUsername } from './database-users.ts';
import { atlasId, clusterName } from './model.ts';

/** The validator of each path parameter: a value that passes can never leave its path segment. */
const PATH_PARAMETERS = {
  groupId: atlasId,
  clusterName: clusterName,
  snapshotId: atlasId,
  restoreJobId: atlasId,
  // Database users (the verifier's temporary users).
  databaseName: databaseUserAuthDatabase,
  username: databaseUsername,
} as const;

export type PathParameter = keyof typeof PATH_PARAMETERS;
export type PathParameters = { readonly [name in PathParameter]?: string | undefined };

export type PathResult =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly problem: string };

/**
 * Fills an OpenAPI path template (`/groups/{groupId}/…`) after validating every parameter; each value is also
 * percent-encoded, so even a validator mistake cannot add a segment.
 */
export function buildPath(template: string, parameters: PathParameters): PathResult {
  const problems: string[] = [];
  const path = template.replace(/\{(\w+)\}/g, (_placeholder, name: string) => {
    const schema = name in PATH_PARAMETERS ? PATH_PARAMETERS[name as PathParameter] : undefined;
    const value = parameters[name as PathParameter];
    if (schema === undefined || value === undefined) {
      problems.push(`${name} is required`);
      return '';
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      problems.push(
        `${name} ${JSON.stringify(truncate(String(value)))} ${parsed.error.issues[0]?.message ?? 'is invalid'}`,
      );
      return '';
    }
    return encodeURIComponent(parsed.data);
  });
  return problems.length > 0 ? { ok: false, problem: problems.join('; ') } : { ok: true, path };
}

function truncate(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

/** Query string with stable key order (the Digest `uri` must match the request line byte for byte). */
export function withQuery(path: string, query: Record<string, string | number | boolean>): string {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}
