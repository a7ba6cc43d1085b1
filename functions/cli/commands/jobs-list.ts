import { atlasIdCreatedAt, restoreJobState } from '../../core/atlas/model.ts';
import { type CliCommand, clusterFlags, clusterOptions, noPositionals, parseCommandLine } from '../command.ts';
import { writeJson, writeTable } from '../output.ts';
import { restoreJobView, restoreTarget } from './restore-job-view.ts';

export const jobsList: CliCommand = {
  name: 'jobs list',
  summary: 'List the restore jobs of a cluster, newest first',
  usage: '--projectId ID --clusterName NAME [--json]',
  async run(args, context) {
    const { flags } = parseCommandLine(args, {
      options: clusterOptions,
      flags: clusterFlags,
      positionals: noPositionals,
    });
    const jobs = await context
      .atlas()
      .listRestoreJobs({ groupId: flags.projectId, clusterName: flags.clusterName }, { deadline: context.deadline });
    if (flags.json) return writeJson(context.stdout, jobs.map(restoreJobView));
    if (jobs.length === 0) {
      context.stdout.write(`No restore jobs for cluster ${flags.clusterName}.\n`);
      return;
    }
    writeTable(
      context.stdout,
      ['ID', 'STATE', 'DELIVERY', 'SNAPSHOT', 'TARGET', 'SUBMITTED', 'FINISHED'],
      jobs.map((job) => [
        job.id,
        restoreJobState(job),
        job.deliveryType,
        job.snapshotId,
        restoreTarget(job),
        atlasIdCreatedAt(job.id).toISOString(),
        job.finishedAt,
      ]),
    );
  },
};
