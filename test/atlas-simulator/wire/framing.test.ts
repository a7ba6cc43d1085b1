import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type TLSSocket } from 'node:tls';
import { type Document, deserialize, serialize } from 'bson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_CHECKSUM_PRESENT, OP_MSG, OP_QUERY, OP_REPLY } from './framing.ts';
import { type DataPlane, startDataPlane } from './index.ts';
import { TestHost } from './test-host.ts';

const GROUP = '6789abcdef0123456789abcd';
const CLUSTER = 'Cluster0';

function header(length: number, requestId: number, opCode: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeInt32LE(length, 0);
  bytes.writeInt32LE(requestId, 4);
  bytes.writeInt32LE(0, 8);
  bytes.writeInt32LE(opCode, 12);
  return bytes;
}

function opQuery(requestId: number, collection: string, query: Document): Buffer {
  const flags = Buffer.alloc(4);
  const name = Buffer.from(`${collection}\u0000`);
  const counts = Buffer.alloc(8);
  counts.writeInt32LE(-1, 4);
  const body = Buffer.concat([flags, name, counts, serialize(query)]);
  return Buffer.concat([header(16 + body.length, requestId, OP_QUERY), body]);
}

function opMsg(requestId: number, body: Document, sequences: Record<string, Document[]>, flagBits = 0): Buffer {
  const parts: Uint8Array[] = [Buffer.from([0]), serialize(body)];
  for (const [identifier, documents] of Object.entries(sequences)) {
    const payload = Buffer.concat([
      Buffer.from(`${identifier}\u0000`),
      ...documents.map((document) => serialize(document)),
    ]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(4 + payload.length);
    parts.push(Buffer.from([1]), size, payload);
  }
  if (flagBits & FLAG_CHECKSUM_PRESENT) parts.push(Buffer.alloc(4));
  const flags = Buffer.alloc(4);
  flags.writeUInt32LE(flagBits);
  const message = Buffer.concat([flags, ...parts]);
  return Buffer.concat([header(16 + message.length, requestId, OP_MSG), message]);
}

/** Reads one whole reply: its opCode, responseTo and first document. */
async function readReply(socket: TLSSocket): Promise<{ opCode: number; responseTo: number; document: Document }> {
  let buffered = Buffer.alloc(0);
  while (buffered.length < 4 || buffered.length < buffered.readInt32LE(0)) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    buffered = Buffer.concat([buffered, chunk]);
  }
  const opCode = buffered.readInt32LE(12);
  const documentAt = opCode === OP_REPLY ? 36 : 21;
  return { opCode, responseTo: buffered.readInt32LE(8), document: deserialize(buffered.subarray(documentAt)) };
}

describe('Wire protocol: framing', () => {
  const host = new TestHost();
  let plane: DataPlane;
  let socket: TLSSocket;

  beforeAll(async () => {
    host.addCluster(GROUP, CLUSTER);
    plane = await startDataPlane({ host });
    const { port } = await plane.listen(GROUP, CLUSTER);
    socket = connect({ host: '127.0.0.1', port, ca: [readFileSync(plane.caFile)] });
    await once(socket, 'secureConnect');
  });
  afterAll(async () => {
    socket.destroy();
    await plane.close();
  });

  it('answers a legacy OP_QUERY isMaster on admin.$cmd with an OP_REPLY', async () => {
    // Act
    socket.write(opQuery(7, 'admin.$cmd', { isMaster: 1, helloOk: true }));
    const reply = await readReply(socket);

    // Assess
    expect(reply).toMatchObject({
      opCode: OP_REPLY,
      responseTo: 7,
      document: { ismaster: true, helloOk: true, ok: 1 },
    });
  });

  it('reads OP_MSG kind-1 document sequences and a checksum, answering with OP_MSG', async () => {
    // Act
    socket.write(opMsg(8, { ping: 1, $db: 'admin' }, { documents: [{ a: 1 }, { b: 2 }] }, FLAG_CHECKSUM_PRESENT));
    const reply = await readReply(socket);

    // Assess
    expect(reply).toMatchObject({ opCode: OP_MSG, responseTo: 8, document: { ok: 1 } });
    expect(plane.commands().at(-1)).toMatchObject({ command: 'ping', db: 'admin' });
  });

  it('refuses a data command before authentication with 13 Unauthorized', async () => {
    // Act
    socket.write(opMsg(9, { insert: 'c', $db: 'db' }, { documents: [{ a: 1 }] }));
    const reply = await readReply(socket);

    // Assess
    expect(reply.document).toMatchObject({ ok: 0, code: 13, codeName: 'Unauthorized' });
    expect(host.clusterData(GROUP, CLUSTER)?.databaseNames()).toEqual([]);
  });
});
