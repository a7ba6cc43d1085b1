import { Stack, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/** Existing subnets and security groups a function runs in (imported by id: synthesis looks nothing up). */
export interface VpcPlacementProps {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/**
 * Places the function in the subnets with the security groups, by id: CDK's `vpc` prop would need the VPC's zones and
 * subnets looked up or invented, and synthesis stays offline. Lambda checks the role's network permissions when it
 * attaches the function, so the function waits for them.
 */
export function placeInVpc(fn: LambdaFunction, props: VpcPlacementProps, permissions: Policy): void {
  (fn.node.defaultChild as CfnFunction).vpcConfig = {
    subnetIds: [...props.subnetIds],
    securityGroupIds: [...props.securityGroupIds],
  };
  fn.node.addDependency(permissions);
}

/**
 * What Lambda needs of a function's own role to attach it to a VPC (the actions of AWSLambdaVPCAccessExecutionRole,
 * which a managed policy would grant on every resource): network interfaces are created in the listed subnets and
 * security groups only. The two Describe actions have no resource-level permissions in EC2: they need `*`, the one
 * wildcard acknowledged, with that reason.
 */
export function grantNetworkInterfaces(scope: Construct, role: IRole, props: VpcPlacementProps): Policy {
  const stack = Stack.of(scope);
  const ec2 = (resource: string) => stack.formatArn({ service: 'ec2', resource });
  const policy = new Policy(scope, 'NetworkInterfaces', {
    statements: [
      new PolicyStatement({
        actions: ['ec2:CreateNetworkInterface'],
        resources: [
          ec2('network-interface/*'),
          ...props.subnetIds.map((id) => ec2(`subnet/${id}`)),
          ...props.securityGroupIds.map((id) => ec2(`security-group/${id}`)),
        ],
      }),
      new PolicyStatement({
        actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: [ec2('network-interface/*')],
      }),
      new PolicyStatement({ actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], resources: ['*'] }),
    ],
  });
  policy.attachToRole(role);
  Validations.of(policy).acknowledge(
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets support no resource-level permissions; Lambda needs them on the function role to attach it to the configured VPC',
    },
    {
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]',
      reason:
        'Lambda creates and deletes the network interfaces of the function; their ids are not known before it does, so they are named by the ARN prefix of this account and region',
    },
  );
  return policy;
}
