import * as z from 'zod';
import { type CliCommand, clusterFlags, clusterOptions, noPositionals, parseCommandLine } from '../command.ts';
import { formatBytes, writeJson, writeTable } from '../output.ts';

export const snapshotsList: CliCommand = {
  name: 'snapshots list',
  summary: 'List the snapshots of a cluster, newest first (queued and in progress on top)',
  usage: '--projectId ID --clusterName NAME [--sharded] [--json]',
  async run(args, context) {
    const { flags } = parseCommandLine(args, {
      options: { ...clusterOptions, sharded: { type: 'boolean', default: false } },
      flags: clusterFlags.extend({ sharded: z.boolean() }),
      positionals: noPositionals,
    });
    const snapshots = await context
      .atlas()
      .listSnapshots(
        { groupId: flags.projectId, clusterName: flags.clusterName },
        { sharded: flags.sharded, deadline: context.deadline },
      );
    if (flags.json) return writeJson(context.stdout, snapshots);
    if (snapshots.length === 0) {
      context.stdout.write(`No snapshots of cluster ${flags.clusterName}.\n`);
      return;
    }
    writeTable(
      context.stdout,
      ['ID', 'STATUS', 'TYPE', 'FREQUENCY', 'CREATED', 'SIZE'],
      snapshots.map((snapshot) => [
        snapshot.id,
        snapshot.status,
        snapshot.snapshotType,
        snapshot.frequencyType,
        snapshot.createdAt,
        formatBytes(snapshot.storageSizeBytes),
      ]),
    );
  },
};
