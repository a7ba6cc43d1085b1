/** Metric names: the contract with the stack's alarms and dashboard (namespace AtlasRestore). */
export const METRIC_NAMES = {
  succeeded: 'RestoreSucceeded',
  failed: 'RestoreFailed',
  timedOut: 'RestoreTimedOut',
  refused: 'RestoreRefused',
  rejected: 'RequestRejected',
  deferred: 'RestoreDeferred',
  durationSeconds: 'RestoreDurationSeconds',
  snapshotAgeSeconds: 'SnapshotAgeSeconds',
  /** Verified drills: one of the three per verified restore, and the RPO proven by heartbeats when known. */
  verificationPassed: 'VerificationPassed',
  verificationFailed: 'VerificationFailed',
  verificationUnknown: 'VerificationUnknown',
  achievedRpoSeconds: 'AchievedRpoSeconds',
} as const;

export const CLUSTER_DIMENSION = 'ClusterName';
/** The Atlas project (groupId): two clusters of one name in two projects are two series, never one. */
export const PROJECT_DIMENSION = 'ProjectId';
export const DRILL_DIMENSION = 'Drill';

/** Drill verdicts (the drill judge), with [service] and [service, Drill, ProjectId, ClusterName]. */
export const DRILL_METRIC_NAMES = {
  passed: 'DrillPassed',
  failed: 'DrillFailed',
  missed: 'DrillMissed',
  /** 1 for a failed or missed run, 0 for a passed one: the drill's alarm keeps the last run's state. */
  notPassed: 'DrillRunNotPassed',
} as const;
