import { atlasIdCreatedAt, type RestoreJob, restoreJobState } from '../../core/atlas/model.ts';

/** A restore job as the CLI prints it in JSON: Atlas's fields plus its derived state and submission time. */
export function restoreJobView(job: RestoreJob) {
  return { ...job, state: restoreJobState(job), submittedAt: atlasIdCreatedAt(job.id).toISOString() };
}

export function restoreTarget(job: RestoreJob): string | undefined {
  return job.targetClusterName === undefined ? undefined : `${job.targetGroupId ?? '?'}/${job.targetClusterName}`;
}
