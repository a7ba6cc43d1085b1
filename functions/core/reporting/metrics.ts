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
} as const;

export const CLUSTER_DIMENSION = 'ClusterName';
