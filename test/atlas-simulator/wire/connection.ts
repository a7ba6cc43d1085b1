/**
 * One client connection to a cluster's wire server: reads framed messages, answers each command in order (OP_MSG,
 * or OP_REPLY for the legacy OP_QUERY hello), enforces authentication and logs every command. A connection to a
 * cluster that became unreachable is destroyed on its next command (or when an awaitable hello wakes up).
 */
import type { Socket } from 'node:net';
import type { Document } from 'bson';
import { type ClusterRef, ConnectionAuthentication } from './authentication.ts';
import type { CommandLogEntry } from './command-log.ts';
import { takesLock } from './command-log.ts';
import { DATA_COMMANDS } from './commands/index.ts';
import type { CursorRegistry } from './cursors.ts';
import { CommandError } from './errors.ts';
import {
  encodeOpMsg,
  encodeOpReply,
  FLAG_EXHAUST_ALLOWED,
  FLAG_MORE_TO_COME,
  type IncomingMessage,
  MessageReader,
} from './framing.ts';
import { buildInfoReply, helloReply, type ServerIdentity, sameTopology } from './handshake.ts';
import type { DataPlaneHost } from './host.ts';
import { numericValue } from './values.ts';

export interface ClusterEndpoint extends ClusterRef {
  readonly host: DataPlaneHost;
  readonly identity: ServerIdentity;
  readonly cursors: CursorRegistry;
  record(entry: CommandLogEntry): void;
  nextRequestId(): number;
}

const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);
/** Commands MongoDB runs without authentication (the handshake, auth itself, liveness). */
const UNAUTHENTICATED_COMMANDS = new Set([
  ...HELLO_COMMANDS,
  'ping',
  'saslStart',
  'saslContinue',
  'endSessions',
  'buildInfo',
  'buildinfo',
]);
const KNOWN_COMMANDS = new Set([...UNAUTHENTICATED_COMMANDS, ...DATA_COMMANDS.keys()]);

interface Reply {
  readonly body: Document;
  readonly flagBits?: number;
}

export class WireConnection {
  readonly #socket: Socket;
  readonly #endpoint: ClusterEndpoint;
  readonly #connectionId: number;
  readonly #reader = new MessageReader();
  readonly #auth: ConnectionAuthentication;
  #queue: Promise<void> = Promise.resolve();
  #awaitTimer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(socket: Socket, endpoint: ClusterEndpoint, connectionId: number) {
    this.#socket = socket;
    this.#endpoint = endpoint;
    this.#connectionId = connectionId;
    this.#auth = new ConnectionAuthentication(endpoint.host, endpoint);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#close());
    socket.on('error', () => this.#close());
  }

  #close(): void {
    this.#closed = true;
    clearTimeout(this.#awaitTimer);
    this.#wake?.();
  }

  destroy(): void {
    this.#close();
    this.#socket.destroy();
  }

  #receive(chunk: Buffer): void {
    let messages: IncomingMessage[];
    try {
      messages = this.#reader.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const message of messages) {
      this.#queue = this.#queue.then(() => this.#handle(message)).catch(() => this.destroy());
    }
  }

  #reachable(): boolean {
    return this.#endpoint.host.reachable(this.#endpoint.groupId, this.#endpoint.clusterName);
  }

  async #handle(message: IncomingMessage): Promise<void> {
    if (this.#closed) return;
    if (!this.#reachable()) {
      this.destroy();
      return;
    }
    if (message.kind === 'query') {
      const db = message.fullCollectionName.replace(/\.\$cmd$/, '');
      const command = (message.query.$query as Document | undefined) ?? message.query;
      const reply = await this.#run(command, db, new Map(), 0, message.header.requestId);
      this.#write(encodeOpReply(this.#endpoint.nextRequestId(), message.header.requestId, reply.body));
      return;
    }
    const db = typeof message.body.$db === 'string' ? message.body.$db : 'admin';
    const reply = await this.#run(message.body, db, message.sequences, message.flagBits, message.header.requestId);
    if (message.flagBits & FLAG_MORE_TO_COME) return;
    this.#write(encodeOpMsg(this.#endpoint.nextRequestId(), message.header.requestId, reply.body, reply.flagBits ?? 0));
  }

  #write(bytes: Buffer): void {
    if (!this.#closed) this.#socket.write(bytes);
  }

  async #run(
    command: Document,
    db: string,
    sequences: ReadonlyMap<string, Document[]>,
    flagBits: number,
    requestId: number,
  ): Promise<Reply> {
    const name = Object.keys(command)[0] ?? '';
    const user = this.#auth.user();
    this.#endpoint.record({
      at: this.#endpoint.host.now(),
      groupId: this.#endpoint.groupId,
      clusterName: this.#endpoint.clusterName,
      db,
      command: name,
      ...(user === undefined ? {} : { user: user.username }),
      takesLock: takesLock(name, command),
    });
    try {
      if (!KNOWN_COMMANDS.has(name)) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
      if (HELLO_COMMANDS.has(name)) return await this.#hello(command, name !== 'hello', flagBits, requestId);
      if (name === 'saslStart') return { body: this.#auth.saslStart(command, db) };
      if (name === 'saslContinue') return { body: this.#auth.saslContinue(command) };
      if (name === 'ping' || name === 'endSessions') return { body: { ok: 1 } };
      if (name === 'buildInfo' || name === 'buildinfo') return { body: buildInfoReply() };
      if (user === undefined) throw new CommandError('Unauthorized', `Command ${name} requires authentication`);
      const handler = DATA_COMMANDS.get(name);
      if (handler === undefined) throw new CommandError('CommandNotFound', `no such command: '${name}'`);
      const { host, groupId, clusterName } = this.#endpoint;
      const data = host.clusterData(groupId, clusterName);
      if (data === undefined) throw new CommandError('InternalError', `cluster ${clusterName} holds no data plane`);
      return {
        body: handler({
          name,
          db,
          body: command,
          sequences,
          user,
          data,
          cursors: this.#endpoint.cursors,
          now: () => host.now(),
        }),
      };
    } catch (error) {
      if (error instanceof CommandError) return { body: error.toReply() };
      const message = error instanceof Error ? error.message : String(error);
      return { body: new CommandError('InternalError', message).toReply() };
    }
  }

  async #hello(command: Document, legacy: boolean, flagBits: number, requestId: number): Promise<Reply> {
    const maxAwaitTimeMS = numericValue(command.maxAwaitTimeMS);
    const awaitable = maxAwaitTimeMS !== undefined && sameTopology(this.#endpoint.identity, command.topologyVersion);
    if (awaitable) {
      // Streaming SDAM: nothing changes in a simulated primary, so the answer comes after maxAwaitTimeMS.
      await this.#sleep(maxAwaitTimeMS);
      if (this.#closed) return { body: { ok: 1 } };
      if (!this.#reachable()) {
        this.destroy();
        return { body: { ok: 1 } };
      }
      if (flagBits & FLAG_EXHAUST_ALLOWED) {
        this.#queue = this.#queue.then(() => this.#exhaust(command, legacy, requestId, maxAwaitTimeMS));
        return { body: this.#helloBody(command, legacy), flagBits: FLAG_MORE_TO_COME };
      }
    }
    return { body: this.#helloBody(command, legacy) };
  }

  /** Exhaust mode: further hello answers to the same request, one per maxAwaitTimeMS, without new requests. */
  async #exhaust(command: Document, legacy: boolean, requestId: number, maxAwaitTimeMS: number): Promise<void> {
    await this.#sleep(maxAwaitTimeMS);
    if (this.#closed) return;
    if (!this.#reachable()) {
      this.destroy();
      return;
    }
    this.#write(
      encodeOpMsg(this.#endpoint.nextRequestId(), requestId, this.#helloBody(command, legacy), FLAG_MORE_TO_COME),
    );
    this.#queue = this.#queue.then(() => this.#exhaust(command, legacy, requestId, maxAwaitTimeMS));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) {
        resolve();
        return;
      }
      this.#wake = resolve;
      this.#awaitTimer = setTimeout(resolve, ms);
    });
  }

  #helloBody(command: Document, legacy: boolean): Document {
    const { identity, host } = this.#endpoint;
    const body = helloReply(identity, command, legacy, this.#connectionId, new Date(host.now()));
    const mechanisms = this.#auth.supportedMechanisms(command.saslSupportedMechs);
    const speculative = this.#auth.speculative(command.speculativeAuthenticate);
    return {
      ...body,
      ...(mechanisms === undefined ? {} : { saslSupportedMechs: mechanisms }),
      ...(speculative === undefined ? {} : { speculativeAuthenticate: speculative }),
      ok: 1,
    };
  }
}
