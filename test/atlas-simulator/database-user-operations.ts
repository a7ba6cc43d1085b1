import type { DatabaseUsers, StoredDatabaseUser } from './database-users.ts';
import { AtlasError } from './errors.ts';
import type { Operation } from './operation-support.ts';
import { iso, link } from './render.ts';
import type { SimulatorStore } from './state.ts';
import { parseDatabaseUserRequest } from './validation.ts';

/** Answers 201 with the user as stored, without its password (Atlas never returns it). */
export const createDatabaseUser: Operation = (store, { params, body }) => {
  const groupId = requireProject(store, params);
  const request = parseDatabaseUserRequest(body, groupId, store.clock.now());
  const user: StoredDatabaseUser = {
    groupId,
    databaseName: request.databaseName,
    username: request.username,
    password: request.password,
    roles: request.roles.map(({ roleName, databaseName, collectionName }) => ({
      roleName,
      databaseName,
      ...(collectionName !== undefined ? { collectionName } : {}),
    })),
    ...(request.scopes !== undefined ? { scopes: request.scopes } : {}),
    ...(request.deleteAfterDate !== undefined ? { deleteAfterDate: Date.parse(request.deleteAfterDate) } : {}),
    ...(request.description !== undefined ? { description: request.description } : {}),
    ...(request.labels !== undefined ? { labels: request.labels } : {}),
  };
  if (!store.databaseUsers.add(user)) {
    throw new AtlasError(409, 'USER_ALREADY_EXISTS', `The user ${request.username} already exists.`, {
      parameters: [request.username],
    });
  }
  return { status: 201, body: renderDatabaseUser(user, store.baseUrl) };
};

export const getDatabaseUser: Operation = (store, { params }) => {
  const groupId = requireProject(store, params);
  return { status: 200, body: renderDatabaseUser(requireUser(store.databaseUsers, groupId, params), store.baseUrl) };
};

export const deleteDatabaseUser: Operation = (store, { params }) => {
  const groupId = requireProject(store, params);
  const user = requireUser(store.databaseUsers, groupId, params);
  store.databaseUsers.remove(groupId, user.databaseName, user.username);
  return { status: 204 };
};

export function renderDatabaseUser(user: StoredDatabaseUser, baseUrl: string) {
  const path = `/api/atlas/v2/groups/${user.groupId}/databaseUsers/${user.databaseName}/${encodeURIComponent(user.username)}`;
  return {
    groupId: user.groupId,
    databaseName: user.databaseName,
    username: user.username,
    roles: user.roles,
    scopes: user.scopes ?? [],
    labels: user.labels ?? [],
    ...(user.description !== undefined ? { description: user.description } : {}),
    ...(user.deleteAfterDate !== undefined ? { deleteAfterDate: iso(user.deleteAfterDate) } : {}),
    awsIAMType: 'NONE',
    ldapAuthType: 'NONE',
    oidcAuthType: 'NONE',
    x509Type: 'NONE',
    links: [link({ baseUrl }, path, 'self')],
  };
}

function requireProject(store: SimulatorStore, params: Readonly<Record<string, string>>): string {
  const groupId = params.groupId ?? '';
  if (!store.hasProject(groupId)) {
    throw new AtlasError(404, 'GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, { parameters: [groupId] });
  }
  return groupId;
}

function requireUser(
  users: DatabaseUsers,
  groupId: string,
  params: Readonly<Record<string, string>>,
): StoredDatabaseUser {
  const databaseName = params.databaseName ?? '';
  const username = params.username ?? '';
  const user = users.find(groupId, databaseName, username);
  if (!user) {
    throw new AtlasError(
      404,
      'USERNAME_NOT_FOUND',
      `No user with username ${username} exists in database ${databaseName}.`,
      { parameters: [username, databaseName] },
    );
  }
  return user;
}
