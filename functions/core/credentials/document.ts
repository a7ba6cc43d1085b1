import * as z from 'zod';
import type { AtlasCredentials, ResolvedCredentials } from './source.ts';

const optionalText = z
  .string()
  .min(1, 'must not be empty')
  .nullish()
  .transform((value) => value ?? undefined);

/**
 * A credentials document: camelCase keys, or the Terraform provider's snake_case ones. A service account wins
 * when both kinds are present; a half-filled kind is an error naming the missing key.
 */
export const credentialsDocument = z
  .looseObject({
    clientId: optionalText,
    clientSecret: optionalText,
    client_id: optionalText,
    client_secret: optionalText,
    publicKey: optionalText,
    privateKey: optionalText,
    public_key: optionalText,
    private_key: optionalText,
    baseUrl: z.url().nullish(),
    base_url: z.url().nullish(),
  })
  .transform((document, context): ResolvedCredentials => {
    const clientId = document.clientId ?? document.client_id;
    const clientSecret = document.clientSecret ?? document.client_secret;
    const publicKey = document.publicKey ?? document.public_key;
    const privateKey = document.privateKey ?? document.private_key;
    const baseUrl = document.baseUrl ?? document.base_url ?? undefined;
    const missing = (key: string, because: string) =>
      context.addIssue({ code: 'custom', path: [key], message: `missing (required with ${because})` });

    let credentials: AtlasCredentials | undefined;
    if (clientId !== undefined || clientSecret !== undefined) {
      if (clientId === undefined) missing('clientId', 'clientSecret');
      if (clientSecret === undefined) missing('clientSecret', 'clientId');
      if (clientId !== undefined && clientSecret !== undefined) {
        credentials = { kind: 'serviceAccount', clientId, clientSecret };
      }
    } else if (publicKey !== undefined || privateKey !== undefined) {
      if (publicKey === undefined) missing('publicKey', 'privateKey');
      if (privateKey === undefined) missing('privateKey', 'publicKey');
      if (publicKey !== undefined && privateKey !== undefined) {
        credentials = { kind: 'apiKey', publicKey, privateKey };
      }
    } else {
      context.addIssue({
        code: 'custom',
        path: [],
        message: 'expected clientId and clientSecret (service account) or publicKey and privateKey (API key)',
      });
    }
    if (credentials === undefined) return z.NEVER;
    return baseUrl === undefined ? { credentials } : { credentials, baseUrl };
  });

/** One line naming each failing key, for error messages (zod issues carry no input values). */
export function describeIssues(error: z.ZodError): string {
  return z.prettifyError(error).replace(/\s*\n\s*/g, ' ');
}
