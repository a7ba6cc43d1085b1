import { AtlasError } from './errors.ts';

/**
 * Versioned media types: `Accept: application/vnd.atlas.YYYY-MM-DD+json` resolves to the newest resource version
 * not later than the date asked. Atlas answers 406 without a usable Accept or for a date before the first version,
 * 400 INVALID_VERSION_DATE for a date that is not one. A deprecated version is still served, with `Deprecation`
 * (the day the next version came) and `Sunset` headers, both HTTP-dates with an unpadded day as Atlas sends them
 * (`Mon, 5 Aug 2024 00:00:00 GMT`, recorded in the Atlas CLI's e2e snapshots) rather than RFC 9745's `@epoch`;
 * only once its sunset date has passed does it answer 410 VERSION_GONE.
 */
interface ResourceVersions {
  readonly versions: readonly string[];
  /** Deprecated versions: the day they were deprecated and their sunset day (YYYY-MM-DD, UTC). */
  readonly deprecated?: Readonly<Record<string, { readonly since: string; readonly sunset: string }>>;
}

const CLOUD_BACKUP_VERSIONS: ResourceVersions = { versions: ['2023-01-01'] };
// getCluster's 2023-01-01 and 2023-02-01 are deprecated since 2024-08-05 came, with sunset 2027-07-01 (the Atlas CLI's
// internal/api/commands.go for getCluster; the spec's description lists them as deprecated versions).
const CLUSTER_VERSIONS: ResourceVersions = {
  versions: ['2023-01-01', '2023-02-01', '2024-08-05'],
  deprecated: {
    '2023-01-01': { since: '2024-08-05', sunset: '2027-07-01' },
    '2023-02-01': { since: '2024-08-05', sunset: '2027-07-01' },
  },
};

/**
 * The cluster lifecycle's newest versions (clusters-users-flex.yaml); their older versions are not modelled (406, the
 * stricter reading: no source gives their sunset dates).
 */
const NEWEST_ONLY: Readonly<Record<string, ResourceVersions>> = {
  createCluster: { versions: ['2024-10-23'] },
  updateCluster: { versions: ['2024-10-23'] },
  deleteCluster: { versions: ['2023-02-01'] },
};

export function resourceVersions(operationId: string): ResourceVersions {
  if (operationId === 'getCluster' || operationId === 'listClusters') return CLUSTER_VERSIONS;
  return NEWEST_ONLY[operationId] ?? CLOUD_BACKUP_VERSIONS;
}

export function mediaType(version: string): string {
  return `application/vnd.atlas.${version}+json`;
}

const ATLAS_MEDIA_TYPE = /^application\/vnd\.atlas\.([^+\s]*)\+json$/i;
const VERSION_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The media type the response will carry and its deprecation headers, or the AtlasError to answer. */
export function negotiateVersion(
  accept: string | undefined,
  operationId: string,
  path: string,
  now: number,
): { readonly contentType: string; readonly headers: Record<string, string> } {
  const requested = (accept ?? '')
    .split(',')
    .map((range) => range.split(';')[0]?.trim() ?? '')
    .map((range) => ATLAS_MEDIA_TYPE.exec(range)?.[1])
    .find((date) => date !== undefined);
  if (requested === undefined) {
    throw new AtlasError(
      406,
      'INVALID_ACCEPT_HEADER',
      'Accept must name a versioned media type such as application/vnd.atlas.2023-01-01+json.',
      {
        parameters: [accept ?? ''],
      },
    );
  }
  if (!isCalendarDate(requested)) {
    throw new AtlasError(400, 'INVALID_VERSION_DATE', `The version date ${requested} is not a valid date.`, {
      parameters: [requested],
    });
  }
  const { versions, deprecated = {} } = resourceVersions(operationId);
  const resolved = versions.filter((version) => version <= requested).at(-1);
  if (resolved === undefined) {
    throw new AtlasError(406, 'UNSUPPORTED_VERSION', `No version of ${path} exists on or before ${requested}.`, {
      parameters: [requested, path],
    });
  }
  const lifecycle = deprecated[resolved];
  if (lifecycle === undefined) return { contentType: mediaType(resolved), headers: {} };
  const sunset = Date.parse(`${lifecycle.sunset}T00:00:00Z`);
  if (now >= sunset) {
    throw new AtlasError(410, 'VERSION_GONE', `Version ${resolved} of ${path.slice(1)} is no longer available.`, {
      parameters: [resolved, path.slice(1)],
    });
  }
  return {
    contentType: mediaType(resolved),
    headers: {
      Deprecation: atlasHttpDate(Date.parse(`${lifecycle.since}T00:00:00Z`)),
      Sunset: atlasHttpDate(sunset),
    },
  };
}

/** `Thu, 1 Jul 2027 00:00:00 GMT`: toUTCString() without the zero before a one-digit day. */
function atlasHttpDate(ms: number): string {
  return new Date(ms).toUTCString().replace(/^(\w{3}, )0(\d )/, '$1$2');
}

/** Atlas reads a JSON body sent as `application/json` or as any versioned Atlas media type. */
export function isJsonContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || ATLAS_MEDIA_TYPE.test(type);
}

function isCalendarDate(text: string): boolean {
  const match = VERSION_DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
