/**
 * Server-side cursors of one cluster: a find, aggregate or list command answers its first batch and keeps the rest
 * under a 64-bit id for getMore, until it is exhausted or killed. A cursor belongs to the user who opened it (any of
 * the driver's pooled connections may send the getMore). Batches: 101 documents first by default, getMore without a
 * batchSize takes the rest, and no batch passes 16 MiB.
 */
import { calculateObjectSize, type Document, Long } from 'bson';
import { CommandError } from './errors.ts';
import { numericValue } from './values.ts';

const DEFAULT_FIRST_BATCH = 101;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

interface OpenCursor {
  readonly ns: string;
  readonly owner: string;
  readonly remaining: Document[];
}

export interface CursorReply {
  readonly id: Long;
  readonly ns: string;
  readonly batch: Document[];
}

function takeBatch(remaining: Document[], size: number | undefined): Document[] {
  const batch: Document[] = [];
  let bytes = 0;
  while (remaining.length > 0 && (size === undefined || batch.length < size)) {
    const next = remaining[0] as Document;
    bytes += calculateObjectSize(next);
    if (batch.length > 0 && bytes > MAX_BATCH_BYTES) break;
    batch.push(next);
    remaining.shift();
  }
  return batch;
}

/** batchSize from a command field: a non-negative number, or undefined when absent. */
export function batchSizeOf(value: unknown, field = 'batchSize'): number | undefined {
  if (value === undefined) return undefined;
  const size = numericValue(value);
  if (size === undefined || !Number.isInteger(size) || size < 0) {
    throw new CommandError('BadValue', `${field} must be a non-negative integer`);
  }
  return size;
}

export class CursorRegistry {
  readonly #open = new Map<string, OpenCursor>();
  #nextId = 1n;

  /** Opens a cursor over `documents` (already filtered, sorted, limited) and answers its first batch. */
  open(
    ns: string,
    owner: string,
    documents: readonly Document[],
    batchSize?: number,
    singleBatch = false,
  ): CursorReply {
    const remaining = [...documents];
    const batch = takeBatch(remaining, batchSize === 0 ? 0 : (batchSize ?? DEFAULT_FIRST_BATCH));
    if (remaining.length === 0 || singleBatch) return { id: Long.ZERO, ns, batch };
    // Random-looking, never reused ids as mongod's, but deterministic for a test that reads the log.
    const id = Long.fromBigInt(0x5a17_0000_0000n + this.#nextId);
    this.#nextId += 1n;
    this.#open.set(id.toString(), { ns, owner, remaining });
    return { id, ns, batch };
  }

  more(id: Long, ns: string, owner: string, batchSize?: number): CursorReply {
    const cursor = this.#open.get(id.toString());
    if (cursor === undefined || cursor.ns !== ns) throw new CommandError('CursorNotFound', `cursor id ${id} not found`);
    if (cursor.owner !== owner)
      throw new CommandError('Unauthorized', `cursor id ${id} was not created by the authenticated user`);
    const batch = takeBatch(cursor.remaining, batchSize === 0 ? undefined : batchSize);
    if (cursor.remaining.length > 0) return { id, ns, batch };
    this.#open.delete(id.toString());
    return { id: Long.ZERO, ns, batch };
  }

  /** Kills the cursors; returns which ids were found. */
  kill(ids: readonly Long[], ns: string): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const id of ids) {
      const cursor = this.#open.get(id.toString());
      if (cursor !== undefined && cursor.ns === ns) {
        this.#open.delete(id.toString());
        killed.push(id);
      } else {
        notFound.push(id);
      }
    }
    return { killed, notFound };
  }

  get size(): number {
    return this.#open.size;
  }
}

export function cursorDocument(reply: CursorReply, first: boolean): Document {
  return { cursor: { [first ? 'firstBatch' : 'nextBatch']: reply.batch, id: reply.id, ns: reply.ns }, ok: 1 };
}
