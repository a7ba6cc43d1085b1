import { Duration } from 'aws-cdk-lib';
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
}
