/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB runs it over saslStart/saslContinue
 * (mongodb/specifications source/auth/auth.md): client-first `n,,n=<user>,r=<nonce>`, server-first
 * `r=<nonce+server nonce>,s=<salt>,i=<iterations>`, client-final `c=biws,r=…,p=<proof>`, server-final `v=<signature>`.
 * Keys are derived from the user's password (SASLprep approximated by NFKC) once per password, with MongoDB's
 * default of 15000 iterations. Every failure is "Authentication failed." (code 18): which step failed is not told.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { CommandError } from './errors.ts';

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
const ITERATIONS = 15_000;
const SALT_BYTES = 28;

interface DerivedKeys {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const derivedKeys = new Map<string, DerivedKeys>();

function keysFor(username: string, password: string): DerivedKeys {
  const cacheKey = createHash('sha256').update(`${username}\u0000${password}`).digest('hex');
  let keys = derivedKeys.get(cacheKey);
  if (keys === undefined) {
    const salt = randomBytes(SALT_BYTES);
    const salted = pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, ITERATIONS, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    keys = { salt, storedKey: createHash('sha256').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
    derivedKeys.set(cacheKey, keys);
  }
  return keys;
}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

export function authenticationFailed(): CommandError {
  return new CommandError('AuthenticationFailed', 'Authentication failed.');
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const separator = part.indexOf('=');
    if (separator > 0) map.set(part.slice(0, separator), part.slice(separator + 1));
  }
  return map;
}

/** The username a client-first message names (before the user is looked up). */
export function parseClientFirst(payload: Buffer): { username: string; bare: string; clientNonce: string } {
  const message = payload.toString('utf8');
  // Only "n,," (no channel binding, no authzid) is accepted, as MongoDB does.
  if (!message.startsWith('n,,')) throw authenticationFailed();
  const bare = message.slice(3);
  const fields = attributes(bare);
  const name = fields.get('n');
  const clientNonce = fields.get('r');
  if (name === undefined || clientNonce === undefined || name.length === 0) throw authenticationFailed();
  return { username: name.replaceAll('=2C', ',').replaceAll('=3D', '='), bare, clientNonce };
}

/** One SCRAM conversation: created on saslStart for a user that exists, finished on saslContinue. */
export class ScramConversation {
  readonly username: string;
  readonly #keys: DerivedKeys;
  readonly #clientFirstBare: string;
  readonly #serverFirst: string;
  readonly #nonce: string;
  #serverFinalSent = false;

  constructor(username: string, password: string, clientFirstBare: string, clientNonce: string) {
    this.username = username;
    this.#keys = keysFor(username, password);
    this.#clientFirstBare = clientFirstBare;
    this.#nonce = clientNonce + randomBytes(24).toString('base64');
    this.#serverFirst = `r=${this.#nonce},s=${this.#keys.salt.toString('base64')},i=${ITERATIONS}`;
  }

  serverFirst(): Buffer {
    return Buffer.from(this.#serverFirst, 'utf8');
  }

  /** Checks the client's proof; returns the server-final message. */
  clientFinal(payload: Buffer): Buffer {
    const message = payload.toString('utf8');
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw authenticationFailed();
    const withoutProof = message.slice(0, proofAt);
    const fields = attributes(withoutProof);
    if (fields.get('c') !== 'biws' || fields.get('r') !== this.#nonce) throw authenticationFailed();
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    const clientSignature = createHmac('sha256', this.#keys.storedKey).update(authMessage, 'utf8').digest();
    if (proof.length !== clientSignature.length) throw authenticationFailed();
    const clientKey = Buffer.from(proof.map((byte, index) => byte ^ (clientSignature[index] ?? 0)));
    const storedKey = createHash('sha256').update(clientKey).digest();
    if (!timingSafeEqual(storedKey, this.#keys.storedKey)) throw authenticationFailed();
    this.#serverFinalSent = true;
    const signature = createHmac('sha256', this.#keys.serverKey).update(authMessage, 'utf8').digest();
    return Buffer.from(`v=${signature.toString('base64')}`, 'utf8');
  }

  get proven(): boolean {
    return this.#serverFinalSent;
  }
}
