import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { bundledFunction, VERIFIER_ENTRY } from '../handler-bundling.ts';
import { ownLogGroupAndRole } from './function-logging.ts';
import { grantSecretRead } from './secret-read.ts';
import { grantNetworkInterfaces, placeInVpc, type VpcPlacementProps } from './vpc-placement.ts';
import { WorkQueues } from './work-queues.ts';

/** The ledger calls the verifier makes: read the operation, record `sourceInventory` / `verification` on it. */
export const VERIFIER_LEDGER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'];

/** Receives of a verification message before it is dead-lettered: a verification is retried, not repeated forever. */
export const VERIFICATION_MAX_RECEIVE_COUNT = 3;

export interface VerifierProps {
  /** The operation ledger: the verifier reads operations and updates them (never creates one). */
  readonly ledger: Pick<TableV2, 'tableArn'>;
  /** The Atlas credentials (getCluster's connection strings; temporary database users). */
  readonly atlasSecret: ISecret;
  /** The customer managed KMS key of the Atlas secret. @default - the AWS managed key */
  readonly atlasSecretKeyArn?: string;
  /** The verifier's database user: read on the restored target. @default - none: drills verify with temporary users */
  readonly databaseSecret?: ISecret;
  /** The function's environment (lambda-environment.ts). */
  readonly environment: Record<string, string>;
  /** @default 512 */
  readonly memorySize?: number;
  readonly timeout: Duration;
  /** @default ApplicationLogLevel.INFO */
  readonly logLevel?: ApplicationLogLevel;
  readonly logRetention: RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Subnets and security groups to run in, to reach the clusters privately. @default - Lambda's own network */
  readonly vpc?: VpcPlacementProps;
}

/**
 * The verifier: opens the restored cluster with the official MongoDB driver and records what it finds on the
 * operation. A function of its own, fed by its own queue (the restore chain sends it `inventory` and `verify`), so the
 * driver and the network path to the clusters never weigh on the restore function. Its role holds only what it does:
 * its log group, consuming its queue, the Atlas secret and its database user's, and reading and updating ledger items.
 */
export class Verifier extends Construct {
  readonly function: NodejsFunction;
  readonly queues: WorkQueues;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: VerifierProps) {
    super(scope, id);

    this.queues = new WorkQueues(this, 'Queues', {
      functionTimeout: props.timeout,
      maxReceiveCount: VERIFICATION_MAX_RECEIVE_COUNT,
    });
    const { logGroup, role, logging } = ownLogGroupAndRole(this, {
      roleDescription: 'Atlas restore verifier: its log group, its queue, the Atlas and database secrets, ledger items',
      logRetention: props.logRetention,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.logGroup = logGroup;
    const network = props.vpc === undefined ? undefined : grantNetworkInterfaces(this, role, props.vpc);

    this.function = new NodejsFunction(this, 'Handler', {
      ...bundledFunction(VERIFIER_ENTRY),
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      ...logging,
      applicationLogLevelV2: props.logLevel ?? ApplicationLogLevel.INFO,
      environment: props.environment,
      description: 'Verifies restored Atlas clusters: structure, counts, user checks and the RPO heartbeats prove',
    });
    if (props.vpc !== undefined && network !== undefined) placeInVpc(this.function, props.vpc, network);

    // One message per invocation: each verification holds a database connection for up to the function's timeout.
    this.function.addEventSource(
      new SqsEventSource(this.queues.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
    grantSecretRead(this.function, props.atlasSecret, props.atlasSecretKeyArn);
    if (props.databaseSecret !== undefined) grantSecretRead(this.function, props.databaseSecret);
    // Items only: it never queries the byCluster index, never puts (an operation is the restore chain's to create).
    Grant.addToPrincipal({
      grantee: this.function,
      actions: VERIFIER_LEDGER_ACTIONS,
      resourceArns: [props.ledger.tableArn],
    });
  }
}
