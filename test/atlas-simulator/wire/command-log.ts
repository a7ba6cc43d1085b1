/**
 * Every command a cluster's wire server receives, in order, so tests can prove what a client sent (and what it never
 * sent: no lock-taking command to a source). Entries carry the command's name, never its arguments (they may hold
 * data or SASL payloads).
 */
export interface CommandLogEntry {
  /** Simulated epoch ms when the command arrived. */
  readonly at: number;
  readonly groupId: string;
  readonly clusterName: string;
  readonly db: string;
  /** The command's name as sent (its first field), e.g. `find`, `isMaster`, `fsync`. */
  readonly command: string;
  /** The authenticated user, once there is one. */
  readonly user?: string;
  /** Whether this command takes a lock that blocks the cluster's reads or writes (see LOCK_TAKING_COMMANDS). */
  readonly takesLock: boolean;
}

/**
 * Commands that take an exclusive or shared database/collection lock (or the global fsync lock) blocking other
 * clients, which an inventory or a verifier must never send to a source (MongoDB FAQ: Concurrency, "Which
 * administrative commands lock a database?", and each command's reference page). `fsync` only with `lock: true`.
 */
export const LOCK_TAKING_COMMANDS: ReadonlySet<string> = new Set([
  'fsync',
  'fsyncUnlock',
  'compact',
  'validate',
  'reIndex',
  'dbHash',
  'collMod',
  'convertToCapped',
  'cloneCollectionAsCapped',
  'renameCollection',
  'emptycapped',
  'applyOps',
  'drop',
  'dropDatabase',
  'dropIndexes',
]);

/** Whether a command (its name and body) takes such a lock: `fsync` without `lock: true` only flushes. */
export function takesLock(command: string, body: Readonly<Record<string, unknown>>): boolean {
  if (command === 'fsync') return body.lock === true || body.lock === 1;
  return LOCK_TAKING_COMMANDS.has(command);
}

/** The lock-taking commands in a log (empty: none was ever sent). */
export function lockTakingCommands(log: readonly CommandLogEntry[]): CommandLogEntry[] {
  return log.filter((entry) => entry.takesLock);
}
