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
 *
 * Choices where the shared README is silent (tests in this folder pin each of them):
 * - Errors use the ApiError envelope (with `parameters: []` at least) and `X-Error-Code`; 401s carry
 *   `WWW-Authenticate: Digest …` (errorCode UNAUTHORIZED), also when a bearer token is expired or revoked.
 * - Versions: no usable Accept (missing, a wildcard, application/json) → 406 INVALID_ACCEPT_HEADER; a date before the first
 *   version → 406 UNSUPPORTED_VERSION; not a date → 400 INVALID_VERSION_DATE (the README's status); getCluster
 *   2023-01-01/2023-02-01 are served with Deprecation/Sunset headers until their sunset (2027-07-01 on the simulated
 *   clock), then → 410 VERSION_GONE. Bodies are read as application/json or any versioned Atlas media type
 *   (Atlas's own curl examples send application/json); anything else → 415.
 * - The token endpoint answers OAuth 2.0 bodies: 401 invalid_client, 400 unsupported_grant_type, 403 access_denied;
 *   `POST /api/oauth/revoke` revokes a token (200). `setProjectAccess` makes valid credentials meet 401
 *   NOT_IN_GROUP / USER_CANNOT_ACCESS_GROUP / USER_UNAUTHORIZED; `setApiAccessList` makes them meet 403
 *   IP_ADDRESS_NOT_ON_ACCESS_LIST. A 429 names its wait in `detail` and `parameters`. FIDELITY.md lists the sources.
 * - Digest nonces and bearer tokens age on the simulated clock: a fast clock makes nonces stale sooner (clients
 *   answer `stale=true` by retrying with the new nonce).
 * - Only download jobs can be cancelled (automated and point-in-time → 400 CANNOT_CANCEL_AUTOMATED_RESTORE);
 *   cancelling a job that already ended answers 204 and changes nothing. Unknown target cluster → 404
 *   CLUSTER_NOT_FOUND; target of the other topology → 403 CANNOT_RESTORE_TO_TARGET.
 * - Lists come in a stable, non-chronological order (by a hash of the id); download jobs get no `finishedAt`.
 * - `seed: false` leaves the state empty; `seed` then has empty ids and only the credentials are usable.
 *
 * Data plane (FIDELITY.md, "Cluster data, snapshots and database users"): every cluster holds data (data/) and, once
 * started (`const { caFile } = await sim.dataPlane.ready()`), listens on 127.0.0.1 with TLS (CA file from `ready()`)
 * and SCRAM-SHA-256 for the project's database users (`POST /databaseUsers`, or the seeded `seed.databaseUsers`);
 * getCluster's `connectionStrings.standard` names the listener. A snapshot restores the source's data at its
 * createdAt, a point in time at that second; a restore replaces the target's data when the job finishes, and the
 * target refuses connections while it runs. Faults: `sim.dataPlane.faults.breakRestoresOnto(...)`, `setReachable(...)`.
 */
export { SimulatedClock } from './clock.ts';
export type { RestoreFault } from './data-plane-faults.ts';
export { startAtlasSimulator } from './server.ts';
export type {
  AtlasSimulator,
  AuthKind,
  ClusterJson,
  ClusterSpec,
  ClusterStateName,
  ClusterType,
  Credentials,
  DatabaseUserCredentials,
  DeliveryType,
  Fault,
  FaultInjector,
  FaultMatch,
  FrequencyType,
  LifecycleDurations,
  ProjectAccess,
  RateLimitOptions,
  RecordedRequest,
  RestoreJobJson,
  RestoreJobSpec,
  SeedInfo,
  SeedOptions,
  SimulatorDataPlane,
  SimulatorOptions,
  SimulatorState,
  SnapshotJson,
  SnapshotSpec,
  SnapshotStatus,
  SnapshotType,
} from './types.ts';
