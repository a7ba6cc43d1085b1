import { isIP } from 'node:net';

export const DEFAULT_ATLAS_BASE_URL = 'https://cloud.mongodb.com';

export class AtlasBaseUrlError extends Error {
  readonly code = 'ATLAS_BASE_URL_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'AtlasBaseUrlError';
  }
}

/**
 * The origin of the Admin API: https, or plain http only to a loopback host (a local simulator), because
 * Digest and bearer credentials must not cross a network in the clear. Paths, queries and user info are refused.
 */
export function atlasOrigin(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new AtlasBaseUrlError(`base URL is not a URL: ${JSON.stringify(baseUrl.slice(0, 100))}`);
  }
  if (url.username || url.password) throw new AtlasBaseUrlError('base URL must not carry user info');
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new AtlasBaseUrlError(`base URL must be an origin without path or query, got ${url.origin}${url.pathname}`);
  }
  if (url.protocol === 'https:') return url.origin;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return url.origin;
  if (url.protocol === 'http:') {
    throw new AtlasBaseUrlError(`base URL ${url.origin} must use https (plain http only for loopback hosts)`);
  }
  throw new AtlasBaseUrlError(`base URL ${url.origin} must use https`);
}

/** 127.0.0.0/8, ::1 and localhost. `hostname` as URL gives it (IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}
