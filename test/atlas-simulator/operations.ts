import { createDatabaseUser, deleteDatabaseUser, getDatabaseUser } from './database-user-operations.ts';
import { type Operation, type OperationRequest, type OperationResult, requireCluster } from './operation-support.ts';
import { renderCluster } from './render.ts';
import {
  cancelBackupRestoreJob,
  createBackupRestoreJob,
  getBackupRestoreJob,
  listBackupRestoreJobs,
} from './restore-job-operations.ts';
import {
  getBackupShardedCluster,
  getClusterBackupSnapshot,
  listBackupShardedClusters,
  listBackupSnapshots,
  takeSnapshots,
} from './snapshot-operations.ts';
import type { SimulatorStore } from './state.ts';
import { validatePathParams } from './validation.ts';

const OPERATIONS: Readonly<Record<string, Operation>> = {
  getCluster: (store, { params }) => ({
    status: 200,
    body: renderCluster(requireCluster(store, params), store.renderContext()),
  }),
  listBackupSnapshots,
  takeSnapshots,
  listBackupShardedClusters,
  getBackupShardedCluster,
  getClusterBackupSnapshot,
  listBackupRestoreJobs,
  createBackupRestoreJob,
  getBackupRestoreJob,
  cancelBackupRestoreJob,
  createDatabaseUser,
  getDatabaseUser,
  deleteDatabaseUser,
};

/** Runs one API operation after checking its path parameters; throws AtlasError for error answers. */
export function runOperation(operationId: string, store: SimulatorStore, request: OperationRequest): OperationResult {
  const operation = OPERATIONS[operationId];
  if (!operation) throw new Error(`No handler for ${operationId}`);
  validatePathParams(request.params);
  return operation(store, request);
}
