/** What a data command works with, and the checks every one of them makes (namespace, privilege). */
import type { Document } from 'bson';
import type { ClusterData } from '../../data/cluster-data.ts';
import { type Action, isAuthorized } from '../authorization.ts';
import type { CursorRegistry } from '../cursors.ts';
import { CommandError, notAuthorized } from '../errors.ts';
import type { DatabaseUserRecord } from '../host.ts';

export interface CommandContext {
  /** The command's name as sent (its first field). */
  readonly name: string;
  readonly db: string;
  readonly body: Document;
  /** OP_MSG kind-1 sections by identifier. */
  readonly sequences: ReadonlyMap<string, Document[]>;
  readonly user: DatabaseUserRecord;
  readonly data: ClusterData;
  readonly cursors: CursorRegistry;
  /** Simulated clock, epoch ms (writes are stamped with it). */
  readonly now: () => number;
}

export type CommandHandler = (context: CommandContext) => Document;

/** The collection a command names in its first field. */
export function collectionName(context: CommandContext): string {
  const name = context.body[context.name];
  if (typeof name !== 'string') {
    throw new CommandError('InvalidNamespace', `collection name has invalid type ${typeof name}`);
  }
  if (name.length === 0 || name.includes('$') || name.includes('\u0000')) {
    throw new CommandError('InvalidNamespace', `Invalid namespace specified '${context.db}.${name}'`);
  }
  return name;
}

/** Refuses (code 13, MongoDB's wording) unless the user's roles grant the action on the namespace. */
export function authorize(context: CommandContext, action: Action, collection?: string): void {
  const resource = collection === undefined ? { db: context.db } : { db: context.db, collection };
  if (!isAuthorized(context.user, action, resource)) {
    throw notAuthorized(context.db, context.name, context.body[context.name]);
  }
}

export function namespace(context: CommandContext, collection: string): string {
  return `${context.db}.${collection}`;
}
