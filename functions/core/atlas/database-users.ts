import * as z from 'zod';
import { atlasId, clusterName } from './model.ts';

/**
 * Database users as the verifier makes them (createDatabaseUser, clusters-users-flex.yaml): SCRAM users
 * authenticating on `admin`, limited to named clusters (`scopes`), and temporary (`deleteAfterDate`, which Atlas
 * requires to be in the future and within one week of the request).
 */
export const databaseUserAuthDatabase = z.literal('admin', { message: 'must be admin (SCRAM users)' });
export const databaseUsername = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be 1 to 100 letters, digits, dots, underscores or hyphens');

/** Atlas refuses a `deleteAfterDate` more than a week after the request. */
export const MAX_DELETE_AFTER_MS = 7 * 24 * 60 * 60_000;

export const databaseUserRequestSchema = z.strictObject({
  groupId: atlasId,
  databaseName: databaseUserAuthDatabase,
  username: databaseUsername,
  /** The spec: at least 8 characters, alphanumeric. */
  password: z.string().regex(/^[A-Za-z0-9]{8,}$/, 'must be 8 or more letters and digits'),
  roles: z
    .array(
      z.strictObject({
        roleName: z.string().min(1),
        databaseName: z.string().min(1),
        collectionName: z.string().min(1).optional(),
      }),
    )
    .min(1),
  scopes: z.array(z.strictObject({ name: clusterName, type: z.literal('CLUSTER') })).min(1),
  deleteAfterDate: z.iso.datetime({ offset: true }),
  description: z.string().max(100).optional(),
});
export type DatabaseUserRequest = z.infer<typeof databaseUserRequestSchema>;

/** What Atlas answers (never the password: it is write-only). */
export const databaseUserSchema = z.looseObject({
  username: z.string(),
  databaseName: z.string(),
  deleteAfterDate: z
    .string()
    .nullish()
    .transform((value) => value ?? undefined),
});
export type DatabaseUser = z.infer<typeof databaseUserSchema>;
