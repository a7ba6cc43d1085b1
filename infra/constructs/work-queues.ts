import { Duration } from 'aws-cdk-lib';
import { AccountPrincipal, AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WorkQueuesProps {
  /** The consuming function's timeout: the visibility timeout is six times it plus the batching window. */
  readonly functionTimeout: Duration;
  /** The event source's batching window, which a message also spends invisible. @default Duration.seconds(0) */
  readonly maxBatchingWindow?: Duration;
  /** Receives after which a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

/**
 * The work queue every restore request and poll goes through, and its dead-letter queue, which also takes what the
 * schedules and the event rule could not deliver and what the function refuses as malformed: one place to inspect
 * and redrive. Both encrypted (SSE-SQS) and TLS-only.
 */
export class WorkQueues extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: WorkQueuesProps) {
    super(scope, id);
    const maxBatchingWindow = props.maxBatchingWindow ?? Duration.seconds(0);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS keeps a message: a dead letter keeps its first enqueue time, so it must outlive the work queue.
      retentionPeriod: Duration.days(14),
    });

    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for SQS event sources: six times the function timeout, plus the batching window.
      visibilityTimeout: Duration.seconds(props.functionTimeout.toSeconds() * 6 + maxBatchingWindow.toSeconds()),
      receiveMessageWaitTime: Duration.seconds(20),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }

  /**
   * Lets only these send to the work queue: every other principal, this account's administrators included, is
   * denied sqs:SendMessage (and only that: receiving, deleting and managing the queue stay with IAM).
   */
  restrictSenders(senders: QueueSenders): void {
    const roles = [...new Set(senders.roleArns)];
    const operators = [...new Set(senders.operatorRoleArns)];
    const sources = [...new Set(senders.sourceArns)];
    if (operators.length > 0) {
      // Operators' roles may be in other accounts: the policy allows them (their account must allow them too).
      // Principal cannot hold wildcards nor a role not yet created: name the accounts, match the roles by ARN.
      this.queue.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowOperators',
          principals: [...new Set(operators.map((arn) => arn.split(':')[4] ?? ''))].map(
            (account) => new AccountPrincipal(account),
          ),
          actions: ['sqs:SendMessage'],
          resources: [this.queue.queueArn],
          conditions: { ArnLike: { 'aws:PrincipalArn': operators } },
        }),
      );
    }
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenySendersNotListed',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        // Denied unless the caller is a listed role or a listed service resource (a rule, whose aws:SourceArn the
        // service sets: a principal cannot). A condition on a key the request lacks holds, so both must fail.
        conditions: {
          ArnNotLike: { 'aws:PrincipalArn': [...roles, ...operators] },
          ...(sources.length === 0 ? {} : { ArnNotEquals: { 'aws:SourceArn': sources } }),
        },
      }),
    );
  }
}

/** Who may send to the work queue. */
export interface QueueSenders {
  /** Roles of this stack that send (the function, the schedules): their identity policies allow it. */
  readonly roleArns: readonly string[];
  /** Operators' roles, from configuration; `*` may stand for part of a name. */
  readonly operatorRoleArns: readonly string[];
  /** Service resources that send as a service principal, such as the restore event rule. */
  readonly sourceArns: readonly string[];
}
