/**
 * Privileges of MongoDB's built-in roles as Atlas grants them to database users (a role on a database, optionally
 * narrowed to a collection; the *AnyDatabase roles and atlasAdmin on admin). Only the actions the wire server's
 * commands need are modelled; a role not listed grants nothing here (the stricter reading).
 */
import type { DatabaseUserRecord, DatabaseUserRole } from './host.ts';

export type Action =
  | 'find'
  | 'insert'
  | 'listCollections'
  | 'listIndexes'
  | 'createCollection'
  | 'createIndex'
  | 'dropCollection'
  | 'dropDatabase'
  | 'killCursors'
  | 'listDatabases';

const READ: readonly Action[] = ['find', 'listCollections', 'listIndexes', 'killCursors'];
const READ_WRITE: readonly Action[] = [...READ, 'insert', 'createCollection', 'createIndex', 'dropCollection'];
const DB_ADMIN: readonly Action[] = [
  'listCollections',
  'listIndexes',
  'createCollection',
  'createIndex',
  'dropCollection',
  'dropDatabase',
];
/** The *AnyDatabase roles do not reach these databases (MongoDB built-in roles reference). */
const SYSTEM_DATABASES = new Set(['local', 'config']);

export interface Resource {
  readonly db: string;
  /** Undefined: a database-level action (listCollections, dropDatabase) or the cluster (listDatabases). */
  readonly collection?: string;
}

function grants(role: DatabaseUserRole, action: Action, resource: Resource): boolean {
  const onDatabase = role.databaseName === resource.db;
  const onCollection = onDatabase && (role.collectionName === undefined || role.collectionName === resource.collection);
  const anyDatabase = !SYSTEM_DATABASES.has(resource.db);
  switch (role.roleName) {
    case 'read':
      return onCollection && READ.includes(action);
    case 'readWrite':
      return onCollection && READ_WRITE.includes(action);
    case 'dbAdmin':
      return onDatabase && DB_ADMIN.includes(action);
    case 'dbOwner':
      return onDatabase && (READ_WRITE.includes(action) || DB_ADMIN.includes(action));
    case 'readAnyDatabase':
      return action === 'listDatabases' || (anyDatabase && READ.includes(action));
    case 'readWriteAnyDatabase':
      return action === 'listDatabases' || (anyDatabase && READ_WRITE.includes(action));
    case 'dbAdminAnyDatabase':
      return action === 'listDatabases' || (anyDatabase && DB_ADMIN.includes(action));
    case 'atlasAdmin':
      return action === 'listDatabases' || (anyDatabase && (READ_WRITE.includes(action) || DB_ADMIN.includes(action)));
    default:
      return false;
  }
}

export function isAuthorized(user: DatabaseUserRecord, action: Action, resource: Resource): boolean {
  return user.roles.some((role) => grants(role, action, resource));
}

const DATABASE_ROLES = new Set(['read', 'readWrite', 'dbAdmin', 'dbOwner']);

/** Whether a role names the database (listDatabases shows such databases to a user without listDatabases). */
export function hasRoleOn(user: DatabaseUserRecord, db: string): boolean {
  return user.roles.some((role) => role.databaseName === db && DATABASE_ROLES.has(role.roleName));
}
