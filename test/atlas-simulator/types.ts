import type { SimulatedClock } from './clock.ts';
import type { ClusterData } from './data/cluster-data.ts';
import type { DataPlaneFaults } from './data-plane-faults.ts';
import type { CommandLogEntry } from './wire/command-log.ts';

/** Simulated milliseconds each lifecycle stage lasts. Defaults follow timings observed on a small real cluster. */
export interface LifecycleDurations {
  /** A new snapshot stays `queued` this long. */
  readonly snapshotQueuedMs: number;
  /** Then `inProgress` this long before `completed` (about 2 min 40 s in total on a 4 GB cluster). */
  readonly snapshotInProgressMs: number;
  /** An automated restore gets `finishedAt` this long after submission (about 4 min). */
  readonly automatedRestoreMs: number;
  readonly pointInTimeRestoreMs: number;
  /** A download job gets its `deliveryUrl` and `expiresAt` this long after submission. */
  readonly downloadPrepareMs: number;
  /**
   * A ready download job turns `expired` this long after its URL appeared (about an hour); a finished automated or
   * point-in-time job shows `expired` (with `expiresAt`) this long after `finishedAt`.
   */
  readonly downloadExpiresAfterMs: number;
}

export interface RateLimitOptions {
  /** Tokens in the Cloud Backups bucket of each project (Atlas: 1200). */
  readonly capacity: number;
  /** Tokens added per simulated minute (Atlas: 500). */
  readonly refillPerMinute: number;
  /** Whether a 429 carries `Retry-After` (Atlas sometimes omits it). Default true. */
  readonly retryAfter?: boolean;
}

export interface SeedOptions {
  /** Add an on-demand snapshot of the source cluster that is in progress at clock start. Default false. */
  readonly onDemandSnapshotInProgress?: boolean;
  /** Add a sharded cluster (`seed.shardedClusterName`) with completed sharded snapshots. Default false. */
  readonly sharded?: boolean;
  /** Completed scheduled snapshots of the source cluster. Default 4 (newest 3 h before clock start, then every 6 h). */
  readonly scheduledSnapshots?: number;
}

export interface SimulatorOptions {
  /** Default 0: the OS picks a free port. The server always binds 127.0.0.1. */
  readonly port?: number;
  /** Default `new SimulatedClock()`. */
  readonly clock?: SimulatedClock;
  readonly durations?: Partial<LifecycleDurations>;
  /** Cloud Backups token bucket per project; `false` turns rate limiting off. Default `{ capacity: 1200, refillPerMinute: 500 }`. */
  readonly rateLimit?: RateLimitOptions | false;
  /** `false` starts with an empty state (no project, no credentials work until you add them through `state`). */
  readonly seed?: SeedOptions | false;
  /** Simulated ms a digest nonce stays fresh; after that Atlas answers `stale=true`. Default 5 minutes. */
  readonly nonceTtlMs?: number;
  /** Lifetime of a service-account token, simulated seconds. Default 3600. */
  readonly tokenTtlSeconds?: number;
  /** Live tokens per service account before `POST /api/oauth/token` answers 403 access_denied. Default 100. */
  readonly maxTokensPerServiceAccount?: number;
}

export interface Credentials {
  /** API key (HTTP Digest user). */
  readonly publicKey: string;
  /** API key (HTTP Digest password). */
  readonly privateKey: string;
  /** Service account (OAuth 2.0 client credentials). */
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface SeedInfo {
  readonly groupId: string;
  /** Replica set, IDLE, with completed scheduled snapshots. */
  readonly sourceClusterName: string;
  /** Replica set, IDLE, same project: the drill target. */
  readonly targetClusterName: string;
  /** The newest completed snapshot of the source cluster. */
  readonly completedSnapshotId: string;
  /** Present when `seed.onDemandSnapshotInProgress`. */
  readonly inProgressSnapshotId?: string;
  /** Present when `seed.sharded`. */
  readonly shardedClusterName?: string;
  readonly shardedCompletedSnapshotId?: string;
  readonly credentials: Credentials;
  /** Seeded SCRAM users of the project (authentication database `admin`), with generated passwords. */
  readonly databaseUsers?: {
    /** `drill-verifier`: readAnyDatabase@admin. */
    readonly verifier: DatabaseUserCredentials;
    /** `heartbeat-writer`: readWrite@atlas_restore on the heartbeats collection. */
    readonly heartbeatWriter: DatabaseUserCredentials;
  };
}

export interface DatabaseUserCredentials {
  readonly username: string;
  readonly password: string;
}

/** The clusters' wire-protocol listeners (TLS with a generated CA, SCRAM-SHA-256). */
export interface SimulatorDataPlane {
  /**
   * Starts the listeners on first call and waits until every cluster listens; answers the CA certificate file (PEM)
   * for the driver's `tlsCAFile`. Until it is called, getCluster shows no `connectionStrings.standard`.
   */
  ready(): Promise<{ readonly caFile: string }>;
  /** Restore faults and unreachable clusters. */
  readonly faults: DataPlaneFaults;
  /** getCluster's `connectionStrings.standard` (starting the listeners if needed). */
  connectionString(groupId: string, clusterName: string): Promise<string | undefined>;
  /** Every command the clusters received (none before the listeners start), oldest first (optionally for one cluster). */
  commands(cluster?: { groupId: string; clusterName: string }): CommandLogEntry[];
  /** The lock-taking commands received (empty: none). */
  lockTakingCommands(cluster?: { groupId: string; clusterName: string }): CommandLogEntry[];
}

export type ClusterStateName = 'IDLE' | 'CREATING' | 'UPDATING' | 'DELETING' | 'REPAIRING';
export type ClusterType = 'REPLICASET' | 'SHARDED';
export type SnapshotStatus = 'queued' | 'inProgress' | 'completed' | 'failed';
export type SnapshotType = 'scheduled' | 'onDemand' | 'fallback';
export type FrequencyType = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'ondemand';
export type DeliveryType = 'automated' | 'download' | 'pointInTime';

export interface ClusterSpec {
  readonly name: string;
  /** Default 'REPLICASET'. */
  readonly clusterType?: ClusterType;
  /** Default 'IDLE'. */
  readonly stateName?: ClusterStateName;
  /** Default false. */
  readonly paused?: boolean;
  /** Continuous Cloud Backup (getCluster's `pitEnabled`): point-in-time restores need it. Default true. */
  readonly pitEnabled?: boolean;
  /**
   * The backup policy's restore window (`restoreWindowDays`): how far back a point in time may be. Default 2 (no
   * public source gives Atlas's default; 2 days is the stricter reading, the default hourly snapshots' retention).
   */
  readonly restoreWindowDays?: number;
}

export interface SnapshotSpec {
  /** Default 'scheduled'. */
  readonly snapshotType?: SnapshotType;
  /** Default 'daily' for scheduled, 'ondemand' for on-demand snapshots. */
  readonly frequencyType?: FrequencyType;
  /** Simulated epoch ms at which the snapshot was queued; it is also its `createdAt`. Default now. */
  readonly startedAt?: number;
  /** Per-snapshot override of the lifecycle durations (use `Infinity` to hold a stage). */
  readonly queuedMs?: number;
  readonly inProgressMs?: number;
  /** How the snapshot ends. Default 'completed'. */
  readonly outcome?: 'completed' | 'failed';
  readonly description?: string;
  /** Default 7 days for scheduled, 1 for on-demand snapshots (sets `expiresAt`). */
  readonly retentionInDays?: number;
}

export interface RestoreJobSpec {
  readonly deliveryType: DeliveryType;
  readonly snapshotId?: string;
  readonly targetGroupId?: string;
  readonly targetClusterName?: string;
  readonly pointInTimeUTCSeconds?: number;
  readonly oplogTs?: number;
  readonly oplogInc?: number;
  /** Simulated epoch ms of submission (also the time in the job's ObjectId). Default now. */
  readonly submittedAt?: number;
  /** Simulated ms until the job finishes (or its download is ready). Default from the lifecycle durations. */
  readonly durationMs?: number;
  /** How the job ends. Default 'completed'. */
  readonly outcome?: 'completed' | 'failed';
  /** A download served through private endpoints only: links in `privateDownloadDeliveryUrls`, none in `deliveryUrl`. */
  readonly privateDownload?: boolean;
}

/** The JSON the simulator answers for a cluster (a subset of ClusterDescription20240805). */
export interface ClusterJson {
  readonly id: string;
  readonly groupId: string;
  readonly name: string;
  readonly clusterType: ClusterType;
  readonly stateName: ClusterStateName;
  readonly paused: boolean;
  readonly [field: string]: unknown;
}

/** The JSON the simulator answers for a replica-set or sharded snapshot. */
export interface SnapshotJson {
  readonly id: string;
  readonly status: SnapshotStatus;
  readonly snapshotType: SnapshotType;
  readonly frequencyType: FrequencyType;
  /** Absent while queued or in progress (an Atlas quirk). */
  readonly createdAt?: string;
  /** 0 while queued or in progress. */
  readonly storageSizeBytes: number;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** The JSON the simulator answers for a restore job: no status field, state follows from the flags. */
export interface RestoreJobJson {
  readonly id: string;
  readonly deliveryType: DeliveryType;
  readonly snapshotId?: string;
  readonly targetGroupId?: string;
  readonly targetClusterName?: string;
  readonly cancelled: boolean;
  readonly failed: boolean;
  readonly expired: boolean;
  readonly finishedAt?: string;
  readonly expiresAt?: string;
  /** Download jobs only. */
  readonly deliveryUrl?: readonly string[];
  readonly timestamp?: string;
  readonly [field: string]: unknown;
}

/** Test controls and views over the simulated Atlas. Views render exactly what the API would answer now. */
export interface SimulatorState {
  /** Adds an empty project and returns its groupId. */
  addProject(): string;
  addCluster(groupId: string, spec: ClusterSpec): ClusterJson;
  updateCluster(
    groupId: string,
    clusterName: string,
    patch: { readonly stateName?: ClusterStateName; readonly paused?: boolean },
  ): ClusterJson;
  cluster(groupId: string, clusterName: string): ClusterJson | undefined;
  /** Adds a Flex cluster: the cluster endpoints answer 400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API for it. */
  addFlexCluster(groupId: string, name: string): void;
  /** Adds a snapshot (replica-set or sharded, after the cluster's type) and returns its id. */
  addSnapshot(groupId: string, clusterName: string, spec?: SnapshotSpec): string;
  snapshot(groupId: string, clusterName: string, snapshotId: string): SnapshotJson | undefined;
  /** In insertion order (the API shuffles lists). */
  snapshots(groupId: string, clusterName: string): SnapshotJson[];
  /** Decides how a snapshot ends; a snapshot already past its lifecycle changes at once. */
  /** Ends a snapshot's run now (a test acting on what a client printed). */
  finishSnapshotNow(snapshotId: string): void;
  setSnapshotOutcome(snapshotId: string, outcome: 'completed' | 'failed'): void;
  /** Adds a restore job as if someone had submitted it (no validation) and returns its id. */
  addRestoreJob(groupId: string, clusterName: string, spec: RestoreJobSpec): string;
  restoreJob(groupId: string, clusterName: string, restoreJobId: string): RestoreJobJson | undefined;
  /** In submission order (the API shuffles lists). */
  restoreJobs(groupId: string, clusterName: string): RestoreJobJson[];
  /** Decides how a restore job ends; a job already past its duration changes at once. */
  setRestoreJobOutcome(restoreJobId: string, outcome: 'completed' | 'failed'): void;
  /** Finishes (or, for download, readies) a pending job now, whatever its duration. */
  completeRestoreJob(restoreJobId: string): void;
  /** The cluster's live data (the restores due onto it applied first), as its wire-protocol listener serves it. */
  clusterData(groupId: string, clusterName: string): ClusterData | undefined;
  /** Whether the cluster accepts connections now (not paused, not being restored onto, not made unreachable). */
  dataPlaneReachable(groupId: string, clusterName: string): boolean;
}

/** Which requests a fault hits. Every given criterion must match. */
export interface FaultMatch {
  readonly operationId?: string;
  /** Upper case: 'GET', 'POST', … */
  readonly method?: string;
  readonly pathIncludes?: string;
  /** How many matching requests the fault hits. Default 1; `Infinity` for all. */
  readonly times?: number;
}

export type Fault =
  /** Answer this status with the Atlas error envelope (502 and 504 answer an HTML page, as a load balancer does). */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly errorCode?: string;
      readonly retryAfterSeconds?: number;
    }
  /** Wait this many real ms, then handle the request normally. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Destroy the socket without answering; the request has no effect. */
  | { readonly kind: 'drop' }
  /** 200 with the versioned media type and a truncated JSON body; no effect. */
  | { readonly kind: 'malformed' }
  /** 200 with a valid JSON body of about `bytes` bytes; no effect. */
  | { readonly kind: 'huge'; readonly bytes: number }
  /** Handle the request normally (it takes effect: a restore job IS created), then destroy the socket unanswered. */
  | { readonly kind: 'dropAfterApply' };

export interface FaultInjector {
  /** Scripts a fault for the next matching requests; faults are tried in injection order. */
  inject(match: FaultMatch, fault: Fault): void;
  clear(): void;
  /** Faults with hits left. */
  readonly pending: number;
}

export type AuthKind = 'digest' | 'bearer' | 'basic' | 'none';

/**
 * What the simulator's key and service account may do in one project. `owner` (default): everything; `readOnly`:
 * GETs only, writes answer 401 USER_UNAUTHORIZED; `noProjectAccess`: in the organisation but not the project, 401
 * USER_CANNOT_ACCESS_GROUP; `notInOrganization`: 401 NOT_IN_GROUP.
 */
export type ProjectAccess = 'owner' | 'readOnly' | 'noProjectAccess' | 'notInOrganization';

/** One request as the simulator saw it. Never holds a credential: Authorization is dropped, secrets in bodies redacted. */
export interface RecordedRequest {
  /** Simulated epoch ms at arrival. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly operationId?: string;
  /** The scheme the request presented, whether or not it was accepted. */
  readonly auth: AuthKind;
  /** Parsed JSON, a form as an object, or undefined when empty or unparseable. */
  readonly body: unknown;
  /** null when the connection was dropped without an answer. */
  readonly status: number | null;
  /** Request headers, without Authorization and Cookie. */
  readonly headers: Readonly<Record<string, string>>;
  /** The fault that hit this request, if any. */
  readonly fault?: Fault['kind'];
}

export interface AtlasSimulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly baseUrl: string;
  readonly seed: SeedInfo;
  readonly clock: SimulatedClock;
  readonly state: SimulatorState;
  readonly faults: FaultInjector;
  readonly dataPlane: SimulatorDataPlane;
  /** Every request in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** New API key and service-account secret; the old ones answer 401 and tokens minted before are revoked. */
  rotateCredentials(): Credentials;
  /** Grants or takes away the credentials' access to a project (see ProjectAccess). */
  setProjectAccess(groupId: string, access: ProjectAccess): void;
  /**
   * Turns on the API access list of the key and service account (addresses as the server sees them, such as
   * '127.0.0.1'): other callers get 403 IP_ADDRESS_NOT_ON_ACCESS_LIST. `undefined` turns it off (the default).
   */
  setApiAccessList(addresses: readonly string[] | undefined): void;
  /** Service-account tokens of the current credentials that are still live (neither expired nor revoked). */
  liveTokens(): number;
  close(): Promise<void>;
}
