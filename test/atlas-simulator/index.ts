/**
 * The Atlas Admin API simulator: a real HTTP server on 127.0.0.1 speaking the backup-snapshot and restore-job slice
 * of the Atlas Admin API v2 as the real service does (digest and service-account auth, versioned media types,
 * lifecycles on a controllable clock, token-bucket rate limits, quirks), with scriptable faults and a request log.
 *
 * ```ts
 * const sim = await startAtlasSimulator({ clock: new SimulatedClock({ scale: 0 }) });
 * sim.faults.inject({ operationId: 'createBackupRestoreJob' }, { kind: 'dropAfterApply' });
 * sim.clock.advance(5 * 60_000); // restore jobs finish, snapshots complete
 * await sim.close();
 * ```
 *
 * Faults (`sim.faults.inject(match, fault)`, `match` = { operationId?, method?, pathIncludes?, times? = 1 }):
 * - `{ kind: 'status', status, errorCode?, retryAfterSeconds? }`: answer that status with the Atlas error envelope
 *   (502/504 answer an HTML page, as a load balancer does); the request has no effect.
 * - `{ kind: 'delay', ms }`: wait `ms` real ms, then handle the request normally.
 * - `{ kind: 'drop' }`: destroy the socket unanswered; no effect.
 * - `{ kind: 'malformed' }`: 200 with a truncated JSON body; no effect.
 * - `{ kind: 'huge', bytes }`: 200 with a valid JSON body of about `bytes` bytes; no effect.
 * - `{ kind: 'dropAfterApply' }`: the request takes effect (the restore job IS created), then the socket is destroyed.
 * Faults hit after routing and before authentication, as a proxy in front of Atlas would.
 */
export { SimulatedClock } from './clock.ts';
export { startAtlasSimulator } from './server.ts';
export type {
  AtlasSimulator,
  AuthKind,
  ClusterJson,
  ClusterSpec,
  ClusterStateName,
  ClusterType,
  Credentials,
  DeliveryType,
  Fault,
  FaultInjector,
  FaultMatch,
  FrequencyType,
  LifecycleDurations,
  RateLimitOptions,
  RecordedRequest,
  RestoreJobJson,
  RestoreJobSpec,
  SeedInfo,
  SeedOptions,
  SimulatorOptions,
  SimulatorState,
  SnapshotJson,
  SnapshotSpec,
  SnapshotStatus,
  SnapshotType,
} from './types.ts';
