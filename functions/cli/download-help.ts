import type { RestoreJob } from '../core/atlas/model.ts';

/** The links of a download job: one per replica set (`components`, sharded) or the job's own `deliveryUrl`. */
export function downloadLinks(job: RestoreJob): { name: string; url: string }[] {
  const components = job.components
    .filter((component) => component.downloadUrl)
    .map((component, index) => {
      const replicaSet = (component as { replicaSetName?: unknown }).replicaSetName;
      return {
        name: typeof replicaSet === 'string' ? replicaSet : `part-${index + 1}`,
        url: component.downloadUrl ?? '',
      };
    });
  if (components.length > 0) return components;
  return job.deliveryUrl
    .filter(Boolean)
    .map((url, index) => ({ name: index === 0 ? job.id : `${job.id}-${index + 1}`, url }));
}

/**
 * How to fetch a download job's files, for `jobs describe`: each link until the job's expiry, one fetch per link
 * (a link that was used or has expired needs a new download restore). Links are credentials: only this command prints them.
 */
export function downloadInstructions(job: RestoreJob, cluster: { projectId: string; clusterName: string }): string {
  if (job.deliveryType !== 'download') return '';
  const links = downloadLinks(job);
  if (links.length === 0) {
    return `\nThe download links appear when Atlas has prepared the files; wait for them with:\n  atlas-restore watch ${job.id} --projectId ${cluster.projectId} --clusterName ${cluster.clusterName}\n`;
  }
  const until = job.expiresAt ? `until ${job.expiresAt}` : 'for a limited time';
  return [
    '',
    `Download: each link works ${until}, for one download; a link that was used or has expired needs a new download`,
    'restore. Links are credentials: do not paste them into tickets or logs. Fetch the files with:',
    ...links.map((link) => `  curl -fSL -o '${link.name}.tar.gz' '${link.url}'`),
    '',
  ].join('\n');
}
