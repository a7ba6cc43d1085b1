/**
 * The simulator's data plane: a MongoDB wire-protocol server per cluster for the official driver (TLS with a generated
 * CA, SCRAM-SHA-256, the commands a verifier and a heartbeat writer send). The host (the simulator's state) answers
 * the DataPlaneHost questions; see FIDELITY.md, section "Wire protocol (data plane)".
 */
export { type CommandLogEntry, LOCK_TAKING_COMMANDS, lockTakingCommands, takesLock } from './command-log.ts';
export type { DatabaseUserRecord, DatabaseUserRole, DataPlaneHost } from './host.ts';
export {
  type ClusterListener,
  type DataPlane,
  type DataPlaneOptions,
  type ListenOptions,
  startDataPlane,
} from './server.ts';
