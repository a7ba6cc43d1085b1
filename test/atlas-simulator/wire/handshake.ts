/**
 * The answer to hello / isMaster (mongodb/specifications source/mongodb-handshake/handshake.md and
 * source/server-discovery-and-monitoring): the server describes itself as the writable primary of a one-member
 * replica set, with a current server's wire version (MongoDB 8.0: 25) and limits, no compression.
 */
import { type Document, Long, ObjectId } from 'bson';
import { MAX_MESSAGE_BYTES } from './framing.ts';

export const MAX_WIRE_VERSION = 25;
export const SERVER_VERSION = '8.0.4';
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

export interface ServerIdentity {
  readonly address: string;
  readonly setName: string;
  /** Constant while the listener lives: the driver compares it to decide whether an awaitable hello may wait. */
  readonly processId: ObjectId;
  readonly electionId: ObjectId;
}

export function newServerIdentity(address: string, setName: string): ServerIdentity {
  return { address, setName, processId: new ObjectId(), electionId: new ObjectId() };
}

export function helloReply(
  identity: ServerIdentity,
  command: Document,
  legacy: boolean,
  connectionId: number,
  now: Date,
): Document {
  return {
    ...(command.helloOk === true ? { helloOk: true } : {}),
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    topologyVersion: { processId: identity.processId, counter: Long.ZERO },
    hosts: [identity.address],
    setName: identity.setName,
    setVersion: 1,
    secondary: false,
    primary: identity.address,
    me: identity.address,
    electionId: identity.electionId,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
}

export function buildInfoReply(): Document {
  return {
    version: SERVER_VERSION,
    versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
    gitVersion: 'atlas-simulator',
    bits: 64,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['wiredTiger'],
    modules: ['enterprise'],
    ok: 1,
  };
}

/** Whether a hello's `topologyVersion` is this server's current one (an awaitable hello then waits). */
export function sameTopology(identity: ServerIdentity, requested: unknown): boolean {
  const processId = (requested as Document | undefined)?.processId;
  return processId instanceof ObjectId && processId.equals(identity.processId);
}
