import { RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LoggingFormat, SystemLogLevel } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/**
 * A function's own log group and own role (never Lambda's default role, whose AWS managed policy may write to any log
 * group), the role allowed to write there, and the function settings that log JSON into it. Every function of the
 * stack is built on these (constructs `LogGroup` and `Role` in `scope`).
 */
export function ownLogGroupAndRole(
  scope: Construct,
  props: {
    readonly roleDescription: string;
    readonly logRetention: RetentionDays;
    /** @default RemovalPolicy.RETAIN */
    readonly logRemovalPolicy?: RemovalPolicy | undefined;
  },
) {
  const logGroup = new LogGroup(scope, 'LogGroup', {
    retention: props.logRetention,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  const role = new Role(scope, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  logGroup.grantWrite(role);
  return {
    logGroup,
    role,
    logging: { role, logGroup, loggingFormat: LoggingFormat.JSON, systemLogLevelV2: SystemLogLevel.INFO },
  };
}
