import { createHash, randomBytes } from 'node:crypto';

/** The parts of a `WWW-Authenticate: Digest …` challenge that an MD5, qop=auth answer needs (RFC 7616). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  /** Whether the server offered qop=auth; without it the RFC 2069 form is answered. */
  readonly qopAuth: boolean;
  /** The nonce expired but the credentials were right: answer again with the new nonce. */
  readonly stale: boolean;
}

/** Reads the Digest challenge among the WWW-Authenticate values; undefined if there is none we can answer. */
export function parseDigestChallenge(header: string | string[] | undefined): DigestChallenge | undefined {
  // Stryker disable next-line ArrayDeclaration: equivalent, a value that is not a Digest challenge is skipped
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  for (const value of values) {
    const start = value.search(/\bDigest\s/i);
    if (start < 0) continue;
    const params = new Map<string, string>();
    for (const match of value.slice(start + 7).matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
      // Stryker disable next-line StringLiteral: equivalent, the pattern always captures a key
      const [, key = '', quoted, token] = match;
      // Stryker disable next-line StringLiteral: equivalent, the pattern captures a token whenever no quoted value
      params.set(key.toLowerCase(), quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (token ?? ''));
    }
    const realm = params.get('realm');
    const nonce = params.get('nonce');
    const algorithm = params.get('algorithm') ?? 'MD5';
    if (realm === undefined || nonce === undefined || algorithm.toUpperCase() !== 'MD5') continue;
    const qop = params.get('qop');
    const opaque = params.get('opaque');
    return {
      realm,
      nonce,
      ...(opaque === undefined ? {} : { opaque }),
      qopAuth: qop === undefined ? false : qop.split(',').some((option) => option.trim().toLowerCase() === 'auth'),
      stale: params.get('stale')?.toLowerCase() === 'true',
    };
  }
  return undefined;
}

export interface DigestAnswer {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** The request target exactly as on the request line (path and query). */
  readonly uri: string;
  readonly challenge: DigestChallenge;
  readonly nc: number;
  readonly cnonce: string;
}

/** The `Authorization` header value answering a challenge. */
export function digestAuthorization(answer: DigestAnswer): string {
  const { username, password, method, uri, challenge, cnonce } = answer;
  const nc = answer.nc.toString(16).padStart(8, '0');
  const ha1 = md5(`${username}:${challenge.realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = challenge.qopAuth
    ? md5(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`)
    : md5(`${ha1}:${challenge.nonce}:${ha2}`);
  const fields = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    'algorithm=MD5',
    `response=${quote(response)}`,
    ...(challenge.opaque === undefined ? [] : [`opaque=${quote(challenge.opaque)}`]),
    ...(challenge.qopAuth ? ['qop=auth', `nc=${nc}`, `cnonce=${quote(cnonce)}`] : []),
  ];
  return `Digest ${fields.join(', ')}`;
}

/** One nonce and the count of answers given with it. */
export interface DigestLease {
  readonly challenge: DigestChallenge;
  nonceCount: number;
}

/** Enough nonces for the client's concurrency; more would only be forgotten by the server. */
const MAX_IDLE_NONCES = 16;

/**
 * The nonces one client answers with. A request leases a nonce for its whole exchange, so concurrent requests
 * never share one: each nonce's `nc` grows in the order the server sees it, which a strict server (or Atlas)
 * checks to refuse replays. A request finding no idle nonce goes out bare and learns a new one from the 401.
 */
export class DigestSession {
  readonly #idle: DigestLease[] = [];
  readonly #cnonce: () => string;

  constructor(cnonce: () => string = () => randomBytes(16).toString('hex')) {
    this.#cnonce = cnonce;
  }

  /** The most recently used idle nonce, or undefined when the request must learn one. */
  lease(): DigestLease | undefined {
    return this.#idle.pop();
  }

  /** A lease on a nonce just received in a challenge. */
  leaseFrom(challenge: DigestChallenge): DigestLease {
    return { challenge, nonceCount: 0 };
  }

  /** Gives a nonce back once its request is answered. */
  release(lease: DigestLease): void {
    this.#idle.push(lease);
    if (this.#idle.length > MAX_IDLE_NONCES) this.#idle.shift();
  }

  /** The next answer with this lease's nonce. */
  authorization(
    lease: DigestLease,
    request: { username: string; password: string; method: string; uri: string },
  ): string {
    lease.nonceCount += 1;
    return digestAuthorization({
      ...request,
      challenge: lease.challenge,
      nc: lease.nonceCount,
      cnonce: this.#cnonce(),
    });
  }
}

function md5(text: string): string {
  // Stryker disable next-line StringLiteral: equivalent for 'utf8', Node's default for a string; 'md5'/'hex' are pinned by the RFC test
  return createHash('md5').update(text, 'utf8').digest('hex');
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}
