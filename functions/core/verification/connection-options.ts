import type { MongoClientOptions } from 'mongodb';
import { type ConnectRequest, DatabaseError } from './database-port.ts';

/** Connection strings that turn TLS off, or its certificate checks, are refused: data and passwords cross networks. */
const TLS_DISABLING_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  tls: ['false'],
  ssl: ['false'],
  tlsinsecure: ['true'],
  tlsallowinvalidcertificates: ['true'],
  tlsallowinvalidhostnames: ['true'],
};

/** Bounds of the driver's waits; within them, the Lambda's remaining time decides. */
const SERVER_SELECTION_MS = { min: 1_000, max: 15_000 };
/** Below this there is no point in opening a connection. */
export const MIN_CONNECT_BUDGET_MS = 2_000;

export interface ClientSettings {
  readonly uri: string;
  readonly options: MongoClientOptions;
}

/**
 * The MongoClient for one request: TLS always (with `tlsCAFile` when given: the simulator's CA locally; Atlas's
 * certificates are public), credentials as options (never in the URI, so no message can quote them), a pool of two,
 * reads from a secondary for a source, and every wait bounded by the time left before `deadline`.
 */
export function clientSettings(
  request: ConnectRequest,
  settings: { readonly appName: string; readonly tlsCAFile?: string; readonly now: number },
): ClientSettings {
  const uri = checkedConnectionString(request.connectionString);
  const remainingMs = request.deadline - settings.now;
  if (remainingMs < MIN_CONNECT_BUDGET_MS) {
    throw new DatabaseError('CANNOT_CONNECT', `only ${Math.max(0, remainingMs)} ms left before the deadline`);
  }
  const selectionMs = Math.round(Math.min(SERVER_SELECTION_MS.max, Math.max(SERVER_SELECTION_MS.min, remainingMs / 3)));
  return {
    uri,
    options: {
      tls: true,
      ...(settings.tlsCAFile === undefined ? {} : { tlsCAFile: settings.tlsCAFile }),
      auth: { username: request.login.username, password: request.login.password },
      authSource: 'admin',
      appName: settings.appName,
      readPreference: request.role === 'source' ? 'secondaryPreferred' : 'primary',
      maxPoolSize: 2,
      minPoolSize: 0,
      retryWrites: request.role === 'heartbeat',
      retryReads: true,
      serverSelectionTimeoutMS: selectionMs,
      connectTimeoutMS: selectionMs,
      socketTimeoutMS: Math.round(remainingMs),
      waitQueueTimeoutMS: selectionMs,
      monitorCommands: false,
    },
  };
}

/** The connection string as given, once it is known to be a mongodb URI without credentials or TLS turned off. */
export function checkedConnectionString(connectionString: string): string {
  const match = /^(mongodb(?:\+srv)?):\/\/([^/?]*)(?:\/[^?]*)?(?:\?(.*))?$/.exec(connectionString);
  if (match === null) {
    throw new DatabaseError('INVALID_CONNECTION_STRING', 'expected a mongodb:// or mongodb+srv:// connection string');
  }
  const authority = match[2] ?? '';
  if (authority.includes('@')) {
    // Credentials come from the secret or the temporary user, never from a string that could end up in a message.
    throw new DatabaseError('INVALID_CONNECTION_STRING', 'the connection string must not hold credentials');
  }
  if (authority === '') throw new DatabaseError('INVALID_CONNECTION_STRING', 'the connection string names no host');
  for (const [key, value] of new URLSearchParams(match[3] ?? '')) {
    const refused = TLS_DISABLING_OPTIONS[key.toLowerCase()];
    if (refused?.includes(value.toLowerCase())) {
      throw new DatabaseError('INVALID_CONNECTION_STRING', `${key}=${value} is refused: TLS is required`);
    }
  }
  return connectionString;
}

/** Removes the user-info part of any URI in a text (driver messages may quote a host string). */
export function withoutCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1<redacted>@');
}
