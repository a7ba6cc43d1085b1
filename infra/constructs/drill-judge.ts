import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type IScheduleTarget,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import type { DrillDefinition } from '../../functions/core/drills/judge.ts';
import { BY_CLUSTER_INDEX } from '../../functions/core/ledger/dynamodb-ledger.ts';
import { bundledFunction, DRILL_JUDGE_ENTRY } from '../handler-bundling.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../restore-metrics.ts';
import { ownLogGroupAndRole } from './function-logging.ts';

/** How often the judge looks: a missed run is marked at most this long after its deadline. */
export const DRILL_JUDGE_RATE = Duration.minutes(15);

export interface DrillJudgeProps {
  /** The enabled drills, as the judge reads them from its schedule's input. */
  readonly drills: readonly DrillDefinition[];
  /** The operation ledger: the judge reads operations and writes verdicts (`drill#…` items). */
  readonly ledger: Pick<TableV2, 'tableArn' | 'tableName'>;
  readonly ledgerRetentionDays: number;
  /** The bus the verdict events go to, by name or ARN. @default "default" */
  readonly eventBusName?: string;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The drill judge: a small function on its own schedule, apart from the restore chain, that gives every drill run a
 * verdict (passed, failed or missed) in the ledger, as a metric and as an event. It holds only what it does: its log
 * group, reading operations and writing verdicts in the ledger, and putting events on one bus.
 */
export class DrillJudge extends Construct {
  readonly function: NodejsFunction;
  readonly schedule: Schedule;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: DrillJudgeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const eventBusName = props.eventBusName ?? 'default';

    const { logGroup, logging } = ownLogGroupAndRole(this, {
      roleDescription:
        'Atlas drill judge: its log group, the ledger (operations read, verdicts written), verdict events',
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.logGroup = logGroup;

    this.function = new NodejsFunction(this, 'Handler', {
      ...bundledFunction(DRILL_JUDGE_ENTRY),
      memorySize: 256,
      timeout: Duration.minutes(2),
      // One judge at a time: two would only tell the same verdicts twice.
      reservedConcurrentExecutions: 1,
      ...logging,
      environment: {
        LEDGER_TABLE_NAME: props.ledger.tableName,
        LEDGER_RETENTION_DAYS: String(props.ledgerRetentionDays),
        DRILL_EVENT_BUS_NAME: eventBusName,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      description: 'Gives every DR drill run a verdict: passed, failed or missed',
    });

    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resourceArns: [props.ledger.tableArn],
    });
    // Rate drills are placed from their runs in the ledger: the byCluster index lists them.
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['dynamodb:Query'],
      resourceArns: [`${props.ledger.tableArn}/index/${BY_CLUSTER_INDEX}`],
    });
    Grant.addToPrincipal({
      grantee: this.function,
      actions: ['events:PutEvents'],
      resourceArns: [
        eventBusName.startsWith('arn:')
          ? eventBusName
          : stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: eventBusName }),
      ],
    });

    // The schedule's own role, allowed to invoke this function only (LambdaInvoke's would also allow `<arn>:*`).
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Lets the drill judge schedule invoke the drill judge',
    });
    scheduleRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
    );
    const target: IScheduleTarget = {
      bind: () => ({
        arn: this.function.functionArn,
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject({ drills: props.drills }),
        // No dead-letter queue: a lost invocation is made up by the next one, and a judge that stops running
        // raises its own alarm (RestoreMonitoring's DrillJudgeSilent).
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: DRILL_JUDGE_RATE.toSeconds() },
      }),
    };

    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.rate(DRILL_JUDGE_RATE),
      target,
      timeWindow: TimeWindow.off(),
      description: 'Judges every DR drill run: passed, failed or missed',
    });
  }
}
