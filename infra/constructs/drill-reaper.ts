import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REAPER_SCHEDULE_NAME_PATTERN } from '../../functions/core/scheduler/reaper-schedules.ts';

/** What the restore function does with the reaper's schedules (functions/core/scheduler/reaper-schedules.ts). */
export const REAPER_SCHEDULE_ACTIONS = [
  'scheduler:CreateSchedule',
  'scheduler:GetSchedule',
  'scheduler:DeleteSchedule',
];

export interface DrillReaperProps {
  /** Where the reap message goes: the work queue. */
  readonly workQueue: IQueue;
  /** Where Scheduler puts a reap message it could not deliver. */
  readonly deadLetterQueue: IQueue;
  /** What deleting the stack does to the group (and the schedules in it). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reaper of ephemeral drill clusters: a schedule group that holds one one-off schedule per drill cluster (set by
 * the restore function when it creates the cluster, at the end of its lease), and the role Scheduler sends the reap
 * message with. The function may create, read and delete schedules of this group only, named as the adapter names
 * them, and pass this role only, to Scheduler only; the role may only send to the work queue (and dead-letter there).
 */
export class DrillReaper extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: DrillReaperProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.group = new ScheduleGroup(this, 'Group', { removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN });

    this.role = new Role(this, 'Role', {
      // Confused deputy: only Scheduler acting for this account's reaper group (the SourceArn Scheduler sets is the
      // schedule group's ARN).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
      description: 'Atlas restore reaper: sends the reap message of an ephemeral drill cluster to the work queue',
    });
    // Scheduler sends a reap message it could not deliver to the schedule's dead-letter queue as this role too.
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [props.workQueue.queueArn, props.deadLetterQueue.queueArn],
      }),
    );
  }

  /** Lets `grantee` (the restore function) set, read and cancel reaper schedules, and pass the role to Scheduler. */
  grantScheduling(grantee: IGrantable): void {
    const stack = Stack.of(this);
    // The adapter's names are `reap-` and 40 hex digits: `?` per digit names exactly those, without `*`.
    Grant.addToPrincipal({
      grantee: grantee,
      actions: REAPER_SCHEDULE_ACTIONS,
      resourceArns: [
        stack.formatArn({
          service: 'scheduler',
          resource: 'schedule',
          resourceName: `${this.group.scheduleGroupName}/${REAPER_SCHEDULE_NAME_PATTERN}`,
        }),
      ],
    });
    Grant.addToPrincipal({
      grantee: grantee,
      actions: ['iam:PassRole'],
      resourceArns: [this.role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  }
}
