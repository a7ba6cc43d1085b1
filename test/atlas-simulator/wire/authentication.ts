/**
 * Who a connection is: saslStart/saslContinue (and a hello's speculativeAuthenticate) run SCRAM-SHA-256 against the
 * host's database users of this cluster (MongoDB's auth spec: mongodb/specifications source/auth/auth.md). Atlas
 * database users live in `admin`; a user scoped to other clusters, or past its deleteAfterDate, does not exist here.
 */
import { Binary, type Document } from 'bson';
import { CommandError } from './errors.ts';
import type { DatabaseUserRecord, DataPlaneHost } from './host.ts';
import { authenticationFailed, parseClientFirst, SCRAM_SHA_256, ScramConversation } from './scram.ts';

export interface ClusterRef {
  readonly groupId: string;
  readonly clusterName: string;
}

/** The user as this cluster sees it now, or undefined when it does not exist on it. */
export function resolveUser(
  host: DataPlaneHost,
  cluster: ClusterRef,
  username: string,
): DatabaseUserRecord | undefined {
  const user = host.databaseUser(cluster.groupId, cluster.clusterName, username);
  if (user === undefined) return undefined;
  const scopes = user.scopes ?? [];
  if (scopes.length > 0 && !scopes.some((scope) => scope.type === 'CLUSTER' && scope.name === cluster.clusterName)) {
    return undefined;
  }
  if (user.deleteAfterDate !== undefined && user.deleteAfterDate <= host.now()) return undefined;
  return user;
}

function payloadBytes(payload: unknown): Buffer {
  if (payload instanceof Binary) return Buffer.from(payload.buffer.subarray(0, payload.position));
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  throw authenticationFailed();
}

const CONVERSATION_ID = 1;

/** One connection's SASL state. */
export class ConnectionAuthentication {
  readonly #host: DataPlaneHost;
  readonly #cluster: ClusterRef;
  #conversation: ScramConversation | undefined;
  #skipEmptyExchange = false;
  #username: string | undefined;

  constructor(host: DataPlaneHost, cluster: ClusterRef) {
    this.#host = host;
    this.#cluster = cluster;
  }

  /** The authenticated user as it is now (a user deleted meanwhile is no longer authenticated). */
  user(): DatabaseUserRecord | undefined {
    return this.#username === undefined ? undefined : resolveUser(this.#host, this.#cluster, this.#username);
  }

  /** `saslSupportedMechs` of a hello ("admin.<user>"): SCRAM-SHA-256 only, and only for a user that exists here. */
  supportedMechanisms(request: unknown): string[] | undefined {
    if (typeof request !== 'string' || !request.startsWith('admin.')) return undefined;
    return resolveUser(this.#host, this.#cluster, request.slice('admin.'.length)) ? [SCRAM_SHA_256] : undefined;
  }

  saslStart(command: Document, db: string): Document {
    if (command.mechanism !== SCRAM_SHA_256) {
      throw new CommandError(
        'MechanismUnavailable',
        `Received authentication for mechanism ${String(command.mechanism)} which is not enabled`,
      );
    }
    const first = parseClientFirst(payloadBytes(command.payload));
    const user = db === 'admin' ? resolveUser(this.#host, this.#cluster, first.username) : undefined;
    if (user === undefined) throw authenticationFailed();
    this.#conversation = new ScramConversation(user.username, user.password, first.bare, first.clientNonce);
    this.#skipEmptyExchange = (command.options as Document | undefined)?.skipEmptyExchange === true;
    return {
      conversationId: CONVERSATION_ID,
      done: false,
      payload: new Binary(this.#conversation.serverFirst()),
      ok: 1,
    };
  }

  saslContinue(command: Document): Document {
    const conversation = this.#conversation;
    if (conversation === undefined || command.conversationId !== CONVERSATION_ID) throw authenticationFailed();
    if (conversation.proven) {
      this.#finish(conversation);
      return { conversationId: CONVERSATION_ID, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
    }
    let serverFinal: Buffer;
    try {
      serverFinal = conversation.clientFinal(payloadBytes(command.payload));
    } catch (error) {
      this.#conversation = undefined;
      throw error;
    }
    if (this.#skipEmptyExchange) this.#finish(conversation);
    return { conversationId: CONVERSATION_ID, done: this.#skipEmptyExchange, payload: new Binary(serverFinal), ok: 1 };
  }

  /** A hello's speculativeAuthenticate: the saslStart answer, or undefined when it fails (the client then retries). */
  speculative(request: unknown): Document | undefined {
    if (typeof request !== 'object' || request === null || !('saslStart' in request)) return undefined;
    try {
      const { ok: _ok, ...reply } = this.saslStart(request as Document, String((request as Document).db));
      return reply;
    } catch {
      return undefined;
    }
  }

  #finish(conversation: ScramConversation): void {
    this.#username = conversation.username;
    this.#conversation = undefined;
  }
}
