/**
 * MongoDB wire-protocol framing (mongodb/specifications source/message/OP_MSG.md): a 16-byte header, then OP_MSG
 * (flag bits, one kind-0 body section, kind-1 document sequences, an optional CRC-32C checksum) or the legacy OP_QUERY
 * a driver still uses for its first hello, answered with OP_REPLY. No OP_COMPRESSED: the server never offers
 * compression.
 */
import { type Document, deserialize, serialize } from 'bson';

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

export const FLAG_CHECKSUM_PRESENT = 1 << 0;
export const FLAG_MORE_TO_COME = 1 << 1;
export const FLAG_EXHAUST_ALLOWED = 1 << 16;

const HEADER_BYTES = 16;
/** The maxMessageSizeBytes the server announces in hello. */
export const MAX_MESSAGE_BYTES = 48_000_000;

/** Longs stay Longs (cursor ids, 64-bit counters); other numbers become JS numbers. */
const DESERIALIZE = { promoteLongs: false } as const;

export interface MessageHeader {
  readonly length: number;
  readonly requestId: number;
  readonly responseTo: number;
  readonly opCode: number;
}

export type IncomingMessage =
  | {
      readonly kind: 'msg';
      readonly header: MessageHeader;
      readonly flagBits: number;
      readonly body: Document;
      /** Kind-1 sections by identifier (an insert's `documents`). */
      readonly sequences: ReadonlyMap<string, Document[]>;
    }
  | {
      readonly kind: 'query';
      readonly header: MessageHeader;
      readonly fullCollectionName: string;
      readonly query: Document;
    };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Splits a byte stream into whole messages; `push` returns those completed by `chunk`. */
export class MessageReader {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): IncomingMessage[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const messages: IncomingMessage[] = [];
    while (this.#pending.length >= 4) {
      const length = this.#pending.readInt32LE(0);
      if (length < HEADER_BYTES || length > MAX_MESSAGE_BYTES) {
        throw new ProtocolError(`message length ${length} outside ${HEADER_BYTES}..${MAX_MESSAGE_BYTES}`);
      }
      if (this.#pending.length < length) break;
      messages.push(parseMessage(this.#pending.subarray(0, length)));
      this.#pending = this.#pending.subarray(length);
    }
    return messages;
  }
}

function parseMessage(bytes: Buffer): IncomingMessage {
  const header: MessageHeader = {
    length: bytes.readInt32LE(0),
    requestId: bytes.readInt32LE(4),
    responseTo: bytes.readInt32LE(8),
    opCode: bytes.readInt32LE(12),
  };
  if (header.opCode === OP_MSG) return parseOpMsg(header, bytes);
  if (header.opCode === OP_QUERY) return parseOpQuery(header, bytes);
  throw new ProtocolError(`unsupported opCode ${header.opCode}`);
}

function parseOpMsg(header: MessageHeader, bytes: Buffer): IncomingMessage {
  const flagBits = bytes.readUInt32LE(HEADER_BYTES);
  const end = flagBits & FLAG_CHECKSUM_PRESENT ? bytes.length - 4 : bytes.length;
  let offset = HEADER_BYTES + 4;
  let body: Document | undefined;
  const sequences = new Map<string, Document[]>();
  while (offset < end) {
    const kind = bytes.readUInt8(offset);
    offset += 1;
    if (kind === 0) {
      if (body !== undefined) throw new ProtocolError('OP_MSG has more than one kind-0 section');
      const size = bytes.readInt32LE(offset);
      body = deserialize(bytes.subarray(offset, offset + size), DESERIALIZE);
      offset += size;
    } else if (kind === 1) {
      const size = bytes.readInt32LE(offset);
      const sectionEnd = offset + size;
      const nameEnd = bytes.indexOf(0, offset + 4);
      const identifier = bytes.toString('utf8', offset + 4, nameEnd);
      const documents: Document[] = [];
      for (let at = nameEnd + 1; at < sectionEnd; ) {
        const documentSize = bytes.readInt32LE(at);
        documents.push(deserialize(bytes.subarray(at, at + documentSize), DESERIALIZE));
        at += documentSize;
      }
      sequences.set(identifier, documents);
      offset = sectionEnd;
    } else {
      throw new ProtocolError(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (body === undefined) throw new ProtocolError('OP_MSG has no kind-0 section');
  return { kind: 'msg', header, flagBits, body, sequences };
}

function parseOpQuery(header: MessageHeader, bytes: Buffer): IncomingMessage {
  let offset = HEADER_BYTES + 4; // flags
  const nameEnd = bytes.indexOf(0, offset);
  const fullCollectionName = bytes.toString('utf8', offset, nameEnd);
  offset = nameEnd + 1 + 8; // numberToSkip, numberToReturn
  const size = bytes.readInt32LE(offset);
  const query = deserialize(bytes.subarray(offset, offset + size), DESERIALIZE);
  return { kind: 'query', header, fullCollectionName, query };
}

function header(length: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const bytes = Buffer.alloc(HEADER_BYTES);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(requestId, 4);
  bytes.writeInt32LE(responseTo, 8);
  bytes.writeInt32LE(opCode, 12);
  return bytes;
}

/** An OP_MSG reply with one kind-0 section. */
export function encodeOpMsg(requestId: number, responseTo: number, body: Document, flagBits = 0): Buffer {
  const document = serialize(body);
  const flags = Buffer.alloc(5);
  flags.writeUInt32LE(flagBits, 0);
  flags.writeUInt8(0, 4);
  const length = HEADER_BYTES + flags.length + document.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_MSG), flags, document]);
}

/** An OP_REPLY carrying one document (the answer to an OP_QUERY command). */
export function encodeOpReply(requestId: number, responseTo: number, body: Document): Buffer {
  const document = serialize(body);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(0, 0); // responseFlags
  fields.writeBigInt64LE(0n, 4); // cursorID
  fields.writeInt32LE(0, 12); // startingFrom
  fields.writeInt32LE(1, 16); // numberReturned
  const length = HEADER_BYTES + fields.length + document.length;
  return Buffer.concat([header(length, requestId, responseTo, OP_REPLY), fields, document]);
}
