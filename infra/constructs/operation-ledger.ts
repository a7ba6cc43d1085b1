import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, ProjectionType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface OperationLedgerProps {
  /** What deleting the stack does to the ledger; RETAIN also turns on deletion protection. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** Attribute names shared with functions/core/ledger (the brief's ledger contract). */
export const LEDGER_SCHEMA = {
  partitionKey: 'pk',
  timeToLive: 'expiresAt',
  byClusterIndex: 'byCluster',
  byClusterPartitionKey: 'clusterKey',
  byClusterSortKey: 'requestedAt',
} as const;

/** What the byCluster index holds besides its keys: nothing (`history` reads the items by key). */
export const BY_CLUSTER_PROJECTION = ProjectionType.KEYS_ONLY;

/**
 * The operation ledger: one item per restore operation, the evidence a drill happened and how it ended. Kept on
 * stack deletion by default, with point-in-time recovery, deletion protection and KMS encryption.
 */
export class OperationLedger extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: OperationLedgerProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: LEDGER_SCHEMA.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: LEDGER_SCHEMA.timeToLive,
      globalSecondaryIndexes: [
        {
          indexName: LEDGER_SCHEMA.byClusterIndex,
          partitionKey: { name: LEDGER_SCHEMA.byClusterPartitionKey, type: AttributeType.STRING },
          sortKey: { name: LEDGER_SCHEMA.byClusterSortKey, type: AttributeType.STRING },
          // Keys only: an update that leaves clusterKey and requestedAt alone (every step's) writes nothing to the
          // index, halving the write units of a drill; `history` reads the items it lists by key (BatchGetItem).
          projectionType: BY_CLUSTER_PROJECTION,
        },
      ],
      billing: Billing.onDemand(),
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
  }
}
