/** The data commands the wire server runs once a user is authenticated, by name. */
import { aggregate } from './aggregate.ts';
import { create, createIndexes, drop, dropDatabase, listCollections, listDatabases, listIndexes } from './catalog.ts';
import type { CommandHandler } from './context.ts';
import { count, find, getMore, insert, killCursors } from './crud.ts';

export const DATA_COMMANDS: ReadonlyMap<string, CommandHandler> = new Map([
  ['insert', insert],
  ['find', find],
  ['getMore', getMore],
  ['killCursors', killCursors],
  ['count', count],
  ['aggregate', aggregate],
  ['listDatabases', listDatabases],
  ['listCollections', listCollections],
  ['listIndexes', listIndexes],
  ['create', create],
  ['createIndexes', createIndexes],
  ['drop', drop],
  ['dropDatabase', dropDatabase],
]);

export type { CommandContext, CommandHandler } from './context.ts';
