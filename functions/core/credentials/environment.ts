import { credentialsDocument } from './document.ts';
import { CredentialsError } from './errors.ts';
import type { CredentialsSource, ResolvedCredentials } from './source.ts';

/** The Atlas CLI's variable for each document key (the Terraform provider's names for API keys also work). */
const VARIABLES = {
  clientId: ['MONGODB_ATLAS_CLIENT_ID'],
  clientSecret: ['MONGODB_ATLAS_CLIENT_SECRET'],
  publicKey: ['MONGODB_ATLAS_PUBLIC_API_KEY', 'MONGODB_ATLAS_PUBLIC_KEY'],
  privateKey: ['MONGODB_ATLAS_PRIVATE_API_KEY', 'MONGODB_ATLAS_PRIVATE_KEY'],
  baseUrl: ['MONGODB_ATLAS_BASE_URL'],
} as const;

const ROOT_PROBLEM =
  'set MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (service account) or MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY (API key)';

/**
 * Credentials from the Atlas CLI's environment variables, read on every get() (the environment is the cache).
 * Service-account credentials win when both kinds are set.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): CredentialsSource {
  return {
    async get(): Promise<ResolvedCredentials> {
      const document: Record<string, string> = {};
      for (const [key, names] of Object.entries(VARIABLES)) {
        const value = names.map((name) => env[name]).find((candidate) => candidate !== undefined && candidate !== '');
        if (value !== undefined) document[key] = value;
      }
      const parsed = credentialsDocument.safeParse(document);
      if (parsed.success) return parsed.data;
      const problems = parsed.error.issues.map((issue) => {
        const key = issue.path[0];
        const variable =
          typeof key === 'string' && key in VARIABLES ? VARIABLES[key as keyof typeof VARIABLES][0] : undefined;
        if (!variable) return ROOT_PROBLEM;
        return issue.code === 'custom' ? `${variable} is not set` : `${variable}: ${issue.message}`;
      });
      throw new CredentialsError('CREDENTIALS_MISSING', `Atlas credentials: ${[...new Set(problems)].join('; ')}`);
    },
    invalidate() {},
  };
}
