import * as z from 'zod';
import { atlasId, type RestoreJob, restoreJobState } from '../../core/atlas/model.ts';
import { type CliCommand, clusterFlags, clusterOptions, parseCommandLine, requiredText } from '../command.ts';
import { downloadInstructions } from '../download-help.ts';
import { writeFields, writeJson } from '../output.ts';
import { restoreJobView, restoreTarget } from './restore-job-view.ts';

export const jobsDescribe: CliCommand = {
  name: 'jobs describe',
  summary: 'Show one restore job and its state',
  usage: 'JOB_ID --projectId ID --clusterName NAME [--json]',
  help: [
    'For a download restore, prints its links with how to fetch them (curl), until when they work (Expires) and that',
    'each is for one download. Links are credentials: `watch` and the deployed function never print or log them.',
  ].join('\n'),
  async run(args, context) {
    const { flags, positionals } = parseCommandLine(args, {
      options: clusterOptions,
      flags: clusterFlags,
      positionals: z.tuple([requiredText(atlasId)], z.never({ error: 'unexpected extra argument' })),
      positionalNames: ['JOB_ID'],
    });
    const [jobId] = positionals;
    const job = await context
      .atlas()
      .getRestoreJob({ groupId: flags.projectId, clusterName: flags.clusterName }, jobId, {
        deadline: context.deadline,
      });
    const view = restoreJobView(job);
    if (flags.json) return writeJson(context.stdout, view);
    writeFields(context.stdout, [
      ['ID', job.id],
      ['State', restoreJobState(job)],
      ['Delivery', job.deliveryType],
      ['Snapshot', job.snapshotId],
      ['Snapshot time', job.timestamp],
      ['Point in time', pointInTime(job)],
      ['Target', restoreTarget(job)],
      ['Submitted', view.submittedAt],
      ['Finished', job.finishedAt],
      ['Expires', job.expiresAt],
    ]);
    context.stdout.write(downloadInstructions(job, flags));
  },
};

/** The moment a point-in-time restore targets, as a date (and the oplog position when given by one). */
function pointInTime(job: RestoreJob): string | undefined {
  const seconds = job.pointInTimeUTCSeconds ?? job.oplogTs;
  if (seconds === null || seconds === undefined) return undefined;
  const date = new Date(seconds * 1000).toISOString();
  return job.oplogTs ? `${date} (oplog ${job.oplogTs}:${job.oplogInc ?? 0})` : date;
}
