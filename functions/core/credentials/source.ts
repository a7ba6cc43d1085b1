/** Atlas credentials: a service account (OAuth 2.0 client credentials) or a legacy API key (HTTP Digest). */
export type AtlasCredentials =
  | { readonly kind: 'serviceAccount'; readonly clientId: string; readonly clientSecret: string }
  | { readonly kind: 'apiKey'; readonly publicKey: string; readonly privateKey: string };

export interface ResolvedCredentials {
  readonly credentials: AtlasCredentials;
  /** Where the Admin API lives when the credentials say so (for example Atlas for Government). */
  readonly baseUrl?: string;
}

/** Where credentials come from; `invalidate()` after an auth failure makes the next get() read them again. */
export interface CredentialsSource {
  get(): Promise<ResolvedCredentials>;
  invalidate(): void;
}
