import { Duration, TimeZone } from 'aws-cdk-lib';
import type { EventPattern, IEventBus } from 'aws-cdk-lib/aws-events';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
  TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { SqsSendMessage } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { clusterKey, type RestoreRequest } from '../../functions/core/contract/restore-request.ts';
import type { EventPatternConfig } from '../config.ts';

/** A recurring DR drill: a restore request sent to the work queue on a schedule. */
export interface DrillScheduleProps {
  /** Names the drill; its requestIds are `<name>-<scheduled time>`. */
  readonly name: string;
  /** `cron(…)` or `rate(…)`, in EventBridge Scheduler syntax. */
  readonly expression: string;
  /** IANA time zone the cron expression is read in. */
  readonly timeZone: string;
  /** The drill's restore request, without requestId. */
  readonly request: RestoreRequest;
  /** @default true */
  readonly enabled?: boolean;
}

export interface RestoreTriggersProps {
  /** Where every trigger delivers its restore request. */
  readonly workQueue: IQueue;
  /** Where a request that could not be delivered lands (the work queue's dead-letter queue). */
  readonly deadLetterQueue: IQueue;
  /** @default - no schedules */
  readonly schedules?: readonly DrillScheduleProps[];
  /**
   * A rule whose matching events carry a restore request in `detail`, forwarded as they are. The request must carry
   * its requestId: EventBridge's own delivery retries repeat the event, but a producer's retried PutEvents is a new
   * event with a new id, so the work queue refuses requests without one. @default - no rule
   */
  readonly eventRule?: {
    /** The bus the rule listens on: the stack's own (RestoreEventBus), never the default bus. */
    readonly eventBus: IEventBus;
    readonly eventPattern: EventPatternConfig;
  };
}

/**
 * Delivery to SQS fails only on throttling or a broken permission: retry for a while, then dead-letter so the DLQ
 * alarm tells an operator, rather than starting a drill many hours late.
 */
const DELIVERY_RETRY_ATTEMPTS = 20;
const DELIVERY_MAX_EVENT_AGE = Duration.hours(2);

/**
 * What starts restores: EventBridge Scheduler schedules for DR drills and an EventBridge rule for restore requests
 * sent as events. Both target the work queue, so every request gets SQS retries and the one dead-letter queue.
 */
export class RestoreTriggers extends Construct {
  /** The drill schedules, by drill name. */
  readonly schedules = new Map<string, Schedule>();
  readonly rule?: Rule;

  constructor(scope: Construct, id: string, props: RestoreTriggersProps) {
    super(scope, id);

    for (const drill of props.schedules ?? []) {
      const target = new SqsSendMessage(props.workQueue, {
        // A retried delivery carries the same scheduled time, so it is the same operation.
        input: ScheduleTargetInput.fromObject({
          ...drill.request,
          requestId: `${drill.name}-${ContextAttribute.scheduledTime}`,
        }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: DELIVERY_RETRY_ATTEMPTS,
        maxEventAge: DELIVERY_MAX_EVENT_AGE,
      });
      const schedule = new Schedule(this, `Drill-${drill.name}`, {
        schedule: ScheduleExpression.expression(drill.expression, TimeZone.of(drill.timeZone)),
        target,
        timeWindow: TimeWindow.off(),
        enabled: drill.enabled ?? true,
        description: `DR drill ${drill.name}: restore ${clusterKey(drill.request)}`,
      });
      this.schedules.set(drill.name, schedule);
    }

    if (props.eventRule) {
      const { eventBus, eventPattern } = props.eventRule;
      this.rule = new Rule(this, 'RestoreRequestRule', {
        description: 'Restore requests sent as events (the request is the event detail)',
        eventBus,
        eventPattern: toCdkEventPattern(eventPattern),
        targets: [
          new SqsQueue(props.workQueue, {
            deadLetterQueue: props.deadLetterQueue,
            retryAttempts: DELIVERY_RETRY_ATTEMPTS,
            maxEventAge: DELIVERY_MAX_EVENT_AGE,
          }),
        ],
      });
    }
  }
}

function toCdkEventPattern(pattern: EventPatternConfig): EventPattern {
  const { 'detail-type': detailType, source, account, region, resources, detail } = pattern;
  return {
    source,
    ...(detailType === undefined ? {} : { detailType }),
    ...(account === undefined ? {} : { account }),
    ...(region === undefined ? {} : { region }),
    ...(resources === undefined ? {} : { resources }),
    ...(detail === undefined ? {} : { detail }),
  };
}
